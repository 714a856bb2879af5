package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.dependent.ClusterCredentials;
import io.dirkdb.protocol.tls.TlsSettings;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Probes every member of every watched cluster with {@code dirk heartbeat} (through the shared
 * {@link HeartbeatProbe}, one kept connection per member, authenticated with the administration password: its
 * probes renew the primary's lease) at the cluster's
 * {@code failover.heartbeatIntervalMs}, on a fixed pool of its own ({@code dirk.operator.prober.threads}),
 * never on a reconcile thread. At most one probe per member is in flight: one still unanswered an interval
 * after it was actually sent counts as a miss, so a hanging member cannot pile up work. When what it sees
 * changes in a way that matters (a member stops or starts answering, its role, epoch or health changes, a
 * miss), it calls the listener, which asks the reconciler to look again.
 *
 * <p>Latency of the operator's own making never counts as a member's miss: a probe still queued because
 * every thread is busy counts nothing (its interval starts when it is sent), and a round whose tick ran
 * late or bunched up behind a late one (a starved or paused operator) counts nothing either.
 *
 * <p>Clusters are watched from the reconciler, which runs only on the Lease holder, so a follower
 * replica probes nothing.
 */
@ApplicationScoped
public class ClusterProber {

  private static final Logger LOG = Logger.getLogger(ClusterProber.class);
  /** An LSN-only change is reported at most this often, so a busy cluster does not rewrite its status per write. */
  private static final long LSN_REPORT_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** One member's heartbeat channel: one probe at a time. */
  /** Opens the heartbeat connection to one member, over TLS when settings are given. */
  interface Connector {
    Heartbeats open(MemberAddress endpoint, int timeoutMillis, TlsSettings tls);

    /** As above, authenticated with the cluster's credentials (lease renewals need the administration one). */
    default Heartbeats open(MemberAddress endpoint, int timeoutMillis, TlsSettings tls, ClusterCredentials credentials) {
      return open(endpoint, timeoutMillis, tls);
    }
  }

  interface Heartbeats {
    /** One heartbeat; a {@code leaseEpoch} of 0 or more also renews the lease of a primary at that epoch. */
    HeartbeatReport probe(long leaseEpoch) throws Exception;

    void close();
  }

  /** Runs a cluster's round every interval; returns how to stop it. */
  interface Ticker {
    Runnable every(long intervalMillis, Runnable round);

    void shutdown();
  }

  private final Ticker ticks;
  private final Executor probes;
  private final Runnable closeProbes;
  private final LongSupplier nanoTime;
  private final Connector connect;
  private final Map<ResourceID, ClusterProbes> clusters = new ConcurrentHashMap<>();
  private volatile Consumer<ResourceID> listener = id -> {};

  @Inject
  public ClusterProber(@ConfigProperty(name = "dirk.operator.prober.threads", defaultValue = "8") int threads) {
    this(scheduledTicker(), pool(threads), System::nanoTime, new Connector() {
      @Override
      public Heartbeats open(MemberAddress endpoint, int timeoutMillis, TlsSettings tls) {
        return open(endpoint, timeoutMillis, tls, ClusterCredentials.NONE);
      }

      @Override
      public Heartbeats open(MemberAddress endpoint, int timeoutMillis, TlsSettings tls, ClusterCredentials credentials) {
        // Lease renewals need the administration password; the previous one reaches a member not restarted since a
        // rotation, the application one a member still on a single one.
        HeartbeatProbe probe = new HeartbeatProbe(endpoint, timeoutMillis, tls, credentials.administration(),
            credentials.fallbacks());
        return new Heartbeats() {
          @Override
          public HeartbeatReport probe(long leaseEpoch) throws Exception {
            return probe.probe(leaseEpoch);
          }

          @Override
          public void close() {
            probe.close();
          }
        };
      }
    });
  }

  /** For tests: the rounds, the probe threads, the clock and the member connections are the caller's. */
  ClusterProber(Ticker ticks, Executor probes, LongSupplier nanoTime,
      Connector connect) {
    this.ticks = ticks;
    this.probes = probes;
    this.closeProbes = probes instanceof ExecutorService pool ? pool::shutdownNow : () -> {};
    this.nanoTime = nanoTime;
    this.connect = connect;
  }

  private static Ticker scheduledTicker() {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "dirk-probe-tick"));
    return new Ticker() {
      @Override
      public Runnable every(long intervalMillis, Runnable round) {
        ScheduledFuture<?> future = scheduler.scheduleAtFixedRate(round, 0, intervalMillis, TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
      }

      @Override
      public void shutdown() {
        scheduler.shutdownNow();
      }
    };
  }

  private static ExecutorService pool(int threads) {
    AtomicInteger count = new AtomicInteger();
    return Executors.newFixedThreadPool(Math.max(1, threads), r -> daemon(r, "dirk-probe-" + count.incrementAndGet()));
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  /** Called with a cluster's id whenever its members' picture changed; replaces the previous listener. */
  public void onChange(Consumer<ResourceID> listener) {
    this.listener = Objects.requireNonNull(listener);
  }

  /**
   * Starts or updates the probing of a cluster's members: new endpoints are probed from now on,
   * vanished ones forgotten, an endpoint whose address changed (a restarted pod) starts afresh.
   */
  public void watch(ResourceID cluster, int intervalMillis, Collection<MemberAddress> endpoints) {
    watch(cluster, intervalMillis, endpoints, null, ClusterCredentials.NONE);
  }

  /** As below, without credentials. */
  public void watch(ResourceID cluster, int intervalMillis, Collection<MemberAddress> endpoints, ClusterTls tls) {
    watch(cluster, intervalMillis, endpoints, tls, ClusterCredentials.NONE);
  }

  /** As above, over the cluster's TLS (null: plain TCP); probes start afresh when it is turned on, off or changed. */
  public void watch(ResourceID cluster, int intervalMillis, Collection<MemberAddress> endpoints, ClusterTls tls,
      ClusterCredentials credentials) {
    String tlsKey = tls == null ? "" : tls.key();
    ClusterProbes probes = clusters.compute(cluster, (id, old) -> {
      if (old != null && old.intervalMillis == intervalMillis && old.tlsKey.equals(tlsKey)
          && old.credentials.equals(credentials)) {
        old.tls = tls; // the same Secret: the latest copy of the cluster for the member names
        return old;
      }
      if (old != null) {
        old.stop();
        old.members.values().forEach(MemberProbe::close);
      }
      ClusterProbes fresh = new ClusterProbes(id, intervalMillis, tlsKey, tls, credentials);
      fresh.start();
      return fresh;
    });
    probes.update(endpoints);
  }

  /** Stops probing a cluster (deleted, or no longer this replica's business). */
  public void forget(ResourceID cluster) {
    ClusterProbes probes = clusters.remove(cluster);
    if (probes != null) {
      probes.stop();
      probes.members.values().forEach(MemberProbe::close);
    }
  }

  /** The current picture of a cluster's members by pod name; empty when it is not watched. */
  public Map<String, ProbeResult> results(ResourceID cluster) {
    ClusterProbes probes = clusters.get(cluster);
    if (probes == null) {
      return Map.of();
    }
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    probes.members.forEach((name, probe) -> results.put(name, probe.result()));
    return results;
  }

  /**
   * The member whose lease the probes renew ({@code dirk heartbeat lease E}): the one the coordinator
   * elected or labelled primary at {@code epoch}; null renews nobody (a failover is under way). A member
   * that merely says it is primary is never renewed: an old primary back from a partition must let its
   * lease run out.
   */
  public void holdPrimary(ResourceID cluster, String member, long epoch) {
    ClusterProbes probes = clusters.get(cluster);
    if (probes != null) {
      probes.leaseHolder = member == null ? null : new LeaseHolder(member, epoch);
    }
  }

  /**
   * When the probes last sent {@code member} a lease renewal, on the prober's monotonic clock ({@link System#nanoTime()}
   * in the operator); empty when never (in this operator).
   */
  public java.util.OptionalLong lastLeaseRenewalNanos(ResourceID cluster, String member) {
    ClusterProbes probes = clusters.get(cluster);
    MemberProbe probe = probes == null ? null : probes.members.get(member);
    Long sent = probe == null ? null : probe.leaseSentNanos;
    return sent == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(sent);
  }

  /** The probe timeout of a cluster's heartbeats: a renewal may reach its member this late. */
  public static Duration probeTimeout(int intervalMillis) {
    return Duration.ofMillis(Math.max(200, Math.min(intervalMillis, 2000)));
  }

  private record LeaseHolder(String member, long epoch) {}

  private record ProbeAnswer(HeartbeatReport report, long at, long dataSince) {}

  /** Whether the members of {@code cluster} are probed. */
  public boolean watches(ResourceID cluster) {
    return clusters.containsKey(cluster);
  }

  public int watchedClusters() {
    return clusters.size();
  }

  @PreDestroy
  void close() {
    ticks.shutdown();
    closeProbes.run();
    clusters.values().forEach(c -> c.members.values().forEach(MemberProbe::close));
    clusters.clear();
  }

  private final class ClusterProbes {
    final ResourceID id;
    final int intervalMillis;
    final String tlsKey;
    volatile ClusterTls tls;
    final ClusterCredentials credentials;
    final int timeoutMillis;
    final long intervalNanos;
    final Map<String, MemberProbe> members = new ConcurrentHashMap<>();
    Runnable stopTicks;
    /** When the last round ran (nanoTime), 0 before the first. */
    long lastRound;
    String reportedSignature = "";
    long reportedLsns = -1;
    long reportedAt;
    /** Whose lease the probes renew, or null. */
    volatile LeaseHolder leaseHolder;

    ClusterProbes(ResourceID id, int intervalMillis, String tlsKey, ClusterTls tls, ClusterCredentials credentials) {
      this.id = id;
      this.credentials = credentials;
      this.tlsKey = tlsKey;
      this.tls = tls;
      this.intervalMillis = intervalMillis;
      this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
      // A member slower than this to say its role is as good as silent; never longer than 2 s.
      this.timeoutMillis = (int) probeTimeout(intervalMillis).toMillis();
    }

    void start() {
      stopTicks = ticks.every(intervalMillis, this::tick);
    }

    void stop() {
      if (stopTicks != null) {
        stopTicks.run();
      }
    }

    void update(Collection<MemberAddress> endpoints) {
      Map<String, MemberAddress> wanted = new LinkedHashMap<>();
      endpoints.forEach(e -> wanted.put(e.id(), e));
      members.entrySet().removeIf(entry -> {
        boolean gone = !wanted.containsKey(entry.getKey());
        if (gone) {
          entry.getValue().close();
        }
        return gone;
      });
      wanted.forEach((name, endpoint) -> members.compute(name, (n, old) -> {
        if (old != null && old.endpoint.equals(endpoint)) {
          return old;
        }
        if (old != null) {
          old.close(); // a restarted pod: new address, fresh count
        }
        ClusterTls current = tls;
        return new MemberProbe(endpoint, connect.open(endpoint, timeoutMillis,
            current == null ? null : current.forMember(endpoint), credentials), nanoTime);
      }));
    }

    void tick() {
      try {
        long now = nanoTime.getAsLong();
        long sinceLast = lastRound == 0 ? intervalNanos : now - lastRound;
        lastRound = now;
        if (sinceLast < intervalNanos / 2) {
          // A catch-up round bunched behind a late one: the probes of the round before are barely sent.
          LOG.debugf("heartbeat round of %s skipped: the prober fell behind", id);
          return;
        }
        // A round that itself ran late (the operator was starved or paused) cannot tell a slow member
        // from its own delay: it sends, and counts nothing.
        boolean onTime = sinceLast <= intervalNanos + intervalNanos / 2;
        LeaseHolder holder = leaseHolder;
        for (Map.Entry<String, MemberProbe> entry : members.entrySet()) {
          MemberProbe probe = entry.getValue();
          long heldEpoch = holder != null && holder.member().equals(entry.getKey()) ? holder.epoch() : -1;
          if (probe.inFlight.compareAndSet(false, true)) {
            probe.lateCounted = false;
            probe.sentAt = 0;
            probes.execute(() -> {
              probe.sentAt = nanoTime.getAsLong(); // the interval starts when the probe leaves, not when queued
              try {
                probe.probe(heldEpoch);
              } finally {
                probe.sentAt = 0;
                probe.inFlight.set(false);
              }
              report();
            });
          } else if (onTime && probe.sentAt != 0 && now - probe.sentAt >= intervalNanos) {
            probe.missed.incrementAndGet(); // sent an interval ago and still unanswered: that one is late
            probe.lateCounted = true;
            report();
          } else {
            // Queued behind other probes: our backlog, not the member's silence, so no miss is counted.
            LOG.debugf("heartbeat of %s not counted this round: still queued, or the round ran late",
                probe.endpoint.id());
          }
        }
      } catch (RuntimeException e) {
        LOG.warnf(e, "heartbeat round of %s failed", id); // a scheduled task that throws is never run again
      }
    }

    synchronized void report() {
      StringBuilder signature = new StringBuilder();
      long lsns = 0;
      for (MemberProbe probe : members.values()) {
        ProbeResult r = probe.result();
        signature.append(r.endpoint().id()).append('|').append(Math.min(r.missed(), 100));
        if (r.last() != null) {
          HeartbeatReport h = r.last();
          signature.append('|').append(h.role()).append('|').append(h.epoch()).append('|').append(h.ready())
              .append('|').append(h.diverged()).append('|').append(h.needsResync()).append('|').append(h.following())
              .append('|').append(h.memory() != null && h.memory().pressure() != null);
          lsns += h.lsn();
        }
        signature.append(';');
      }
      long now = nanoTime.getAsLong();
      boolean changed = !signature.toString().equals(reportedSignature);
      boolean lsnMoved = lsns != reportedLsns && now - reportedAt >= LSN_REPORT_NANOS;
      if (changed || lsnMoved) {
        reportedSignature = signature.toString();
        reportedLsns = lsns;
        reportedAt = now;
        listener.accept(id);
      }
    }
  }

  private static final class MemberProbe {
    final MemberAddress endpoint;
    final Heartbeats heartbeat;
    final AtomicBoolean inFlight = new AtomicBoolean();
    final AtomicInteger missed = new AtomicInteger();
    volatile HeartbeatReport last;
    /**
     * The last answer with when it arrived and since when the answers show data (the prober's nanoTime), read
     * together; null before the first.
     */
    volatile ProbeAnswer answer;
    /** When the probe in flight was sent (the prober's nanoTime), 0 while none is or it is still queued. */
    volatile long sentAt;
    /** Whether the tick already counted the probe in flight as missed. */
    volatile boolean lateCounted;

    final LongSupplier clock;

    MemberProbe(MemberAddress endpoint, Heartbeats heartbeat, LongSupplier clock) {
      this.endpoint = endpoint;
      this.heartbeat = heartbeat;
      this.clock = clock;
    }

    /** When a lease renewal was last sent (the prober's nanoTime), null before the first. */
    volatile Long leaseSentNanos;

    /**
     * Only ever one at a time (the in-flight flag), as a {@link HeartbeatProbe} needs. {@code heldEpoch}: the
     * epoch at which the coordinator holds this member for primary, -1 when it does not.
     */
    void probe(long heldEpoch) {
      try {
        // The held primary has its lease renewed (dirk heartbeat lease E) by every probe after one it answered:
        // the lease runs out once probes stop reaching it, so an isolated primary stops acknowledging writes on its
        // own. The member renews only if it is primary at E itself, so a member just promoted to E is renewed by
        // the first probe after the coordinator holds it, not one round later (the lease a promote gives is short).
        HeartbeatReport previous = last;
        long leaseEpoch = heldEpoch >= 0 && missed.get() == 0 && previous != null ? heldEpoch : -1;
        if (leaseEpoch >= 0) {
          leaseSentNanos = clock.getAsLong();
        }
        HeartbeatReport report = heartbeat.probe(leaseEpoch);
        long now = clock.getAsLong();
        ProbeAnswer before = answer;
        long dataSince = report.lsn() <= 0 ? 0 : before != null && before.dataSince() != 0 ? before.dataSince() : now;
        answer = new ProbeAnswer(report, now, dataSince);
        last = report;
        missed.set(0);
      } catch (Exception e) {
        // A probe already counted late by the tick is one miss, not two.
        int misses = lateCounted ? missed.get() : missed.incrementAndGet();
        LOG.debugf("heartbeat of %s missed (%d in a row): %s", endpoint, misses,
            e.getMessage());
      }
    }

    ProbeResult result() {
      ProbeAnswer known = answer;
      return known == null ? new ProbeResult(endpoint, missed.get(), null)
          : new ProbeResult(endpoint, missed.get(), known.report(), known.at(), known.dataSince());
    }

    void close() {
      heartbeat.close();
    }
  }
}
