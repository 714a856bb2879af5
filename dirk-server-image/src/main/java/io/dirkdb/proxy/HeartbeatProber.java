package io.dirkdb.proxy;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.MemberAddress;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends {@code dirk heartbeat;} to every member every interval, through a {@link HeartbeatProbe} per
 * member, and records the answers in the {@link BackendTable}. Logs the monitoring lines on each
 * change of a member's health, and empties the pool of a member that went down.
 */
public final class HeartbeatProber implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.proxy");

    private final BackendTable table;
    private final BackendPool pool;
    private final long intervalMillis;
    private final int timeoutMillis;
    private final ScheduledExecutorService scheduler;
    private final Map<MemberAddress, HeartbeatProbe> probes = new ConcurrentHashMap<>();
    private final Map<MemberAddress, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();
    /** One probe at a time per member: the scheduled one and {@link #probeAllNow} share its connection. */
    private final Map<MemberAddress, Object> locks = new ConcurrentHashMap<>();

    /** @param pool emptied for a member that goes down; may be null */
    public HeartbeatProber(BackendTable table, BackendPool pool, long intervalMillis) {
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("the heartbeat interval must be at least 1 ms");
        }
        this.table = table;
        this.pool = pool;
        this.intervalMillis = intervalMillis;
        // A member that takes longer than this to say its role is as good as down for routing.
        this.timeoutMillis = (int) Math.max(1000, Math.min(Integer.MAX_VALUE, 2 * intervalMillis));
        AtomicLong threads = new AtomicLong();
        this.scheduler = Executors.newScheduledThreadPool(Math.max(2, Math.min(table.members().size(), 8)), task -> {
            Thread thread = new Thread(task, "dirk-heartbeat-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Probes every member once now (so the proxy starts with a view), then every interval. */
    public void start() {
        followMembers();
    }

    /** Starts probing members new in the table and stops probing those gone from it. */
    public synchronized void followMembers() {
        List<MemberAddress> members = table.members();
        for (MemberAddress member : members) {
            schedules.computeIfAbsent(member, m ->
                    scheduler.scheduleWithFixedDelay(() -> probe(m), 0, intervalMillis, TimeUnit.MILLISECONDS));
        }
        for (MemberAddress known : List.copyOf(schedules.keySet())) {
            if (!members.contains(known)) {
                schedules.remove(known).cancel(false);
                synchronized (connectionLock(known)) {
                    dropConnection(known);
                }
                locks.remove(known);
            }
        }
    }

    /**
     * Probes every member at once, e.g. when the primary refused a write: it stepped down since its
     * last heartbeat, and another member may have been promoted since theirs.
     */
    public void probeAllNow() {
        for (MemberAddress member : table.members()) {
            probe(member);
        }
    }

    private void probe(MemberAddress member) {
        synchronized (connectionLock(member)) {
            long sentAt = System.nanoTime();
            BackendTable.HealthChange change;
            try {
                HeartbeatProbe probe = probes.computeIfAbsent(member, m -> new HeartbeatProbe(m, timeoutMillis, pool.tls()));
                change = table.recordHeartbeat(member, probe.probe(), sentAt);
            } catch (IOException e) {
                change = table.recordUnreachable(member, UpstreamConnection.describe(e), sentAt);
            } catch (RuntimeException e) {
                change = table.recordUnreachable(member, e.getMessage(), sentAt);
            }
            if (change == null) {
                dropConnection(member); // it left the cluster while being probed
                return;
            }
            if (change.changed() && change.current().health() != MemberHealth.SERVING && pool != null) {
                pool.closeIdle(member);
            }
            MonitoringLog.Line line = MonitoringLog.lineFor(change);
            if (line != null) {
                LOG.log(line.level(), line.text());
            }
        }
    }

    private Object connectionLock(MemberAddress member) {
        return locks.computeIfAbsent(member, m -> new Object());
    }

    private void dropConnection(MemberAddress member) {
        HeartbeatProbe probe = probes.remove(member);
        if (probe != null) {
            probe.close();
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        probes.values().forEach(HeartbeatProbe::close);
        probes.clear();
    }
}
