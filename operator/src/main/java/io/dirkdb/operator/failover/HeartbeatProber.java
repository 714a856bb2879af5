package io.dirkdb.operator.failover;

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
 * Probes every member of every watched cluster with {@code dirk heartbeat} at the cluster's
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
  public void watch(ResourceID cluster, int intervalMillis, String password, Collection<MemberEndpoint> endpoints) {
    ClusterProbes probes = clusters.compute(cluster, (id, old) -> {
      if (old != null && old.intervalMillis == intervalMillis && Objects.equals(old.password, password)) {
        return old;
      }
      if (old != null) {
        old.stop();
      }
      ClusterProbes fresh = new ClusterProbes(id, intervalMillis, password);
      if (old != null) {
        fresh.members.putAll(old.members);
      }
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
    clusters.clear();
  }

  private final class ClusterProbes {
    final ResourceID id;
    final int intervalMillis;
    final String password;
    final MemberControl control;
    final Map<String, MemberProbe> members = new ConcurrentHashMap<>();
    ScheduledFuture<?> tick;
    String reportedSignature = "";
    long reportedLsns = -1;
    long reportedAt;

    ClusterProbes(ResourceID id, int intervalMillis, String password) {
      this.id = id;
      this.intervalMillis = intervalMillis;
      this.password = password;
      // A member slower than this to say its role is as good as silent; never longer than 2 s.
      this.control = new MemberControl(password, Math.max(200, Math.min(intervalMillis, 2000)));
    }

    void start() {
      tick = ticks.scheduleAtFixedRate(this::tick, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
      if (tick != null) {
        tick.cancel(false);
      }
    }

    void update(Collection<MemberEndpoint> endpoints) {
      Map<String, MemberEndpoint> wanted = new LinkedHashMap<>();
      endpoints.forEach(e -> wanted.put(e.member(), e));
      members.keySet().removeIf(name -> !wanted.containsKey(name));
      wanted.forEach((name, endpoint) -> members.compute(name, (n, old) ->
          old != null && old.endpoint.equals(endpoint) ? old : new MemberProbe(endpoint)));
    }

    void tick() {
      try {
        for (MemberProbe probe : members.values()) {
          if (probe.inFlight.compareAndSet(false, true)) {
            probes.execute(() -> {
              probe.lateCounted = false;
              probe.startedAt = System.nanoTime();
              try {
                probe.probe(control);
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
            LOG.debugf("heartbeat of %s still queued: the prober's threads are all busy", probe.endpoint.member());
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
        signature.append(r.endpoint().member()).append('|').append(Math.min(r.missed(), 100));
        if (r.last() != null) {
          MemberHeartbeat h = r.last();
          signature.append('|').append(h.role()).append('|').append(h.epoch()).append('|').append(h.diverged())
              .append('|').append(h.needsResync()).append('|').append(h.streaming()).append('|').append(h.primary());
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
    final MemberEndpoint endpoint;
    final AtomicBoolean inFlight = new AtomicBoolean();
    final AtomicInteger missed = new AtomicInteger();
    volatile MemberHeartbeat last;
    /** When the probe in flight was sent (System.nanoTime), 0 while none is. */
    volatile long startedAt;
    /** Whether the tick already counted the probe in flight as missed. */
    volatile boolean lateCounted;

    MemberProbe(MemberEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    void probe(MemberControl control) {
      try {
        last = control.heartbeat(endpoint);
        missed.set(0);
      } catch (Exception e) {
        // A probe already counted late by the tick is one miss, not two.
        int misses = lateCounted ? missed.get() : missed.incrementAndGet();
        LOG.debugf("heartbeat of %s (%s) missed (%d in a row): %s", endpoint.member(), endpoint.address(), misses,
            e.getMessage());
      }
    }

    ProbeResult result() {
      return new ProbeResult(endpoint, missed.get(), last);
    }
  }
}
