package io.dirkdb.operator.failover;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Probes every member of every watched cluster with {@code dirk heartbeat} (through the shared
 * {@link HeartbeatProbe}, one kept connection per member, no password needed) at the cluster's
 * {@code failover.heartbeatIntervalMs}, on a fixed pool of its own ({@code dirk.operator.prober.threads}),
 * never on a reconcile thread. At most one probe per member is in flight: one still unanswered when the
 * next is due counts as a miss, so a hanging member cannot pile up work. When what it sees changes in a
 * way that matters (a member stops or starts answering, its role, epoch or health changes, a miss), it
 * calls the listener, which asks the reconciler to look again. A probe still queued because every
 * thread is busy counts as no miss: a saturated prober must not make a healthy primary look lost.
 *
 * <p>Clusters are watched from the reconciler, which runs only on the Lease holder, so a follower
 * replica probes nothing.
 */
@ApplicationScoped
public class HeartbeatProber {

  private static final Logger LOG = Logger.getLogger(HeartbeatProber.class);
  /** An LSN-only change is reported at most this often, so a busy cluster does not rewrite its status per write. */
  private static final long LSN_REPORT_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final ScheduledExecutorService ticks;
  private final ExecutorService probes;
  private final Map<ResourceID, ClusterProbes> clusters = new ConcurrentHashMap<>();
  private volatile Consumer<ResourceID> listener = id -> {};

  @Inject
  public HeartbeatProber(@ConfigProperty(name = "dirk.operator.prober.threads", defaultValue = "8") int threads) {
    AtomicInteger count = new AtomicInteger();
    this.ticks = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "dirk-probe-tick"));
    this.probes = Executors.newFixedThreadPool(Math.max(1, threads),
        r -> daemon(r, "dirk-probe-" + count.incrementAndGet()));
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
    ClusterProbes probes = clusters.compute(cluster, (id, old) -> {
      if (old != null && old.intervalMillis == intervalMillis) {
        return old;
      }
      if (old != null) {
        old.stop();
      }
      ClusterProbes fresh = new ClusterProbes(id, intervalMillis);
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

  public int watchedClusters() {
    return clusters.size();
  }

  @PreDestroy
  void close() {
    ticks.shutdownNow();
    probes.shutdownNow();
    clusters.values().forEach(c -> c.members.values().forEach(MemberProbe::close));
    clusters.clear();
  }

  private final class ClusterProbes {
    final ResourceID id;
    final int intervalMillis;
    final int timeoutMillis;
    final Map<String, MemberProbe> members = new ConcurrentHashMap<>();
    ScheduledFuture<?> tick;
    String reportedSignature = "";
    long reportedLsns = -1;
    long reportedAt;

    ClusterProbes(ResourceID id, int intervalMillis) {
      this.id = id;
      this.intervalMillis = intervalMillis;
      // A member slower than this to say its role is as good as silent; never longer than 2 s.
      this.timeoutMillis = Math.max(200, Math.min(intervalMillis, 2000));
    }

    void start() {
      tick = ticks.scheduleAtFixedRate(this::tick, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
      if (tick != null) {
        tick.cancel(false);
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
        return new MemberProbe(endpoint, timeoutMillis);
      }));
    }

    void tick() {
      try {
        for (MemberProbe probe : members.values()) {
          if (probe.inFlight.compareAndSet(false, true)) {
            probes.execute(() -> {
              probe.lateCounted = false;
              probe.startedAt = System.nanoTime();
              try {
                probe.probe();
              } finally {
                probe.startedAt = 0;
                probe.inFlight.set(false);
              }
              report();
            });
          } else if (probe.startedAt != 0
              && System.nanoTime() - probe.startedAt >= TimeUnit.MILLISECONDS.toNanos(intervalMillis)) {
            probe.missed.incrementAndGet(); // sent an interval ago and still unanswered: that one is late
            probe.lateCounted = true;
            report();
          } else {
            // Queued behind other probes: our backlog, not the member's silence, so no miss is counted.
            LOG.debugf("heartbeat of %s still queued: the prober's threads are all busy", probe.endpoint.id());
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
              .append('|').append(h.diverged()).append('|').append(h.needsResync()).append('|').append(h.following());
          lsns += h.lsn();
        }
        signature.append(';');
      }
      long now = System.nanoTime();
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
    final HeartbeatProbe heartbeat;
    final AtomicBoolean inFlight = new AtomicBoolean();
    final AtomicInteger missed = new AtomicInteger();
    volatile HeartbeatReport last;
    /** When the probe in flight was sent (System.nanoTime), 0 while none is. */
    volatile long startedAt;
    /** Whether the tick already counted the probe in flight as missed. */
    volatile boolean lateCounted;

    MemberProbe(MemberAddress endpoint, int timeoutMillis) {
      this.endpoint = endpoint;
      this.heartbeat = new HeartbeatProbe(endpoint, timeoutMillis);
    }

    /** Only ever one at a time (the in-flight flag), as a {@link HeartbeatProbe} needs. */
    void probe() {
      try {
        // A primary that answered the last probe has its lease renewed (dirk heartbeat lease E): the lease runs
        // out once probes stop reaching it, so an isolated primary stops acknowledging writes on its own.
        HeartbeatReport previous = last;
        long leaseEpoch = missed.get() == 0 && previous != null && previous.isPrimary() ? previous.epoch() : -1;
        last = heartbeat.probe(leaseEpoch);
        missed.set(0);
      } catch (Exception e) {
        // A probe already counted late by the tick is one miss, not two.
        int misses = lateCounted ? missed.get() : missed.incrementAndGet();
        LOG.debugf("heartbeat of %s missed (%d in a row): %s", endpoint, misses,
            e.getMessage());
      }
    }

    ProbeResult result() {
      return new ProbeResult(endpoint, missed.get(), last);
    }

    void close() {
      heartbeat.close();
    }
  }
}
