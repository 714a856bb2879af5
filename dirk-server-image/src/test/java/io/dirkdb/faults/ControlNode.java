package io.dirkdb.faults;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The side of a fault run that talks to the members, in a process of its own so that it can sit in
 * a network namespace of its own: the local supervisor of {@code dirk demo} (on the members'
 * control addresses), clients writing unique values through the proxy and straight to the primary
 * (on the data addresses), and a heartbeat sampler. Everything it sees goes to the history file.
 *
 * <p>Arguments {@code key=value}: {@code history}, {@code mode} (sync|async), {@code members}
 * ({@code id@dataHost:port@controlHost:port,...}), {@code proxy} ({@code host:port}),
 * {@code proxyClients}, {@code directClients}. Reads commands on stdin: {@code fault TEXT}
 * (recorded), {@code finish MILLIS} (stop writing, wait that long for the members to converge,
 * record their rows, exit). Prints {@code READY} once a write went through the proxy, and
 * {@code PRIMARY id epoch} whenever the newest primary it samples changes.
 */
public final class ControlNode {
    static final String DATABASE = "faults";
    private static final long SAMPLE_INTERVAL_MILLIS = 50;
    private static final int CLIENT_TIMEOUT_MILLIS = 10_000;

    record Member(String id, MemberAddress data, MemberAddress control) {}

    private final History.Recorder history;
    private final List<Member> members;
    private final String proxyHost;
    private final int proxyPort;
    private final PrintStream out;
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final AtomicBoolean sampling = new AtomicBoolean(true);
    private final Map<String, HeartbeatReport> latest = new ConcurrentHashMap<>();
    private volatile String newestPrimary;
    private final List<Thread> threads = new ArrayList<>();
    /** The value client p1 sends next: the reader asks for the range just below it. */
    private final java.util.concurrent.atomic.AtomicLong firstClientNext = new java.util.concurrent.atomic.AtomicLong(
            1_000_000_000L);

    private ControlNode(History.Recorder history, List<Member> members, String proxyHost, int proxyPort,
                        PrintStream out) {
        this.history = history;
        this.members = members;
        this.proxyHost = proxyHost;
        this.proxyPort = proxyPort;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        List<Member> members = new ArrayList<>();
        for (String spec : options.get("members").split(",")) {
            String[] parts = spec.split("@");
            members.add(new Member(parts[0], address(parts[0], parts[1]), address(parts[0], parts[2])));
        }
        String[] proxy = options.get("proxy").split(":");
        ReplicationMode mode = ReplicationMode.parse(options.get("mode"));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (History.Recorder history = new History.Recorder(Path.of(options.get("history")))) {
            ControlNode node = new ControlNode(history, members, proxy[0], Integer.parseInt(proxy[1]), out);
            node.run(mode, Integer.parseInt(options.getOrDefault("proxyClients", "2")),
                    Integer.parseInt(options.getOrDefault("directClients", "1")));
        }
        System.exit(0);
    }

    private static MemberAddress address(String id, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new MemberAddress(id, hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private void run(ReplicationMode mode, int proxyClients, int directClients) throws Exception {
        SupervisorSettings settings = SupervisorSettings.defaults(mode).withHeartbeatIntervalMillis(100)
                .withHeartbeatTimeoutMillis(500);
        try (LocalSupervisor supervisor = new LocalSupervisor(members.stream().map(Member::control).toList(),
                settings, new NetworkMemberControl(settings.heartbeatTimeoutMillis(), 2000, null))) {
            supervisor.start();
            start("sampler", this::sample);
            createTable();
            for (int i = 1; i <= proxyClients; i++) {
                String client = "p" + i;
                long base = i * 1_000_000_000L;
                start(client, () -> writeThroughProxy(client, base));
            }
            start("reader", this::readThroughProxy);
            for (int i = 1; i <= directClients; i++) {
                String client = "d" + i;
                long base = (100 + i) * 1_000_000_000L;
                start(client, () -> writeToPrimary(client, base));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (newestPrimary == null && System.nanoTime() < deadline) {
                Thread.sleep(20); // the sampler's first round that finds the primary
            }
            out.println("READY"); // after the first PRIMARY line: the test knows the primary from here on
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = commands.readLine()) != null) {
                if (line.startsWith("fault ")) {
                    history.record(new History.FaultEvent(System.nanoTime(), line.substring(6)));
                } else if (line.startsWith("finish ")) {
                    finish(Long.parseLong(line.substring(7).strip()));
                    out.println("FINISHED");
                    return;
                }
            }
        }
    }

    private void start(String name, Runnable task) {
        Thread thread = new Thread(task, "fault-" + name);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
    }

    private void createTable() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = null;
        while (System.nanoTime() < deadline) {
            try (DirkConnection connection = DirkConnection.open(proxyHost, proxyPort, CLIENT_TIMEOUT_MILLIS)) {
                Reply created = connection.execute("manamboara tahiry " + DATABASE);
                if (!created.isError() || created.errorMessage().contains("efa misy")
                        || created.errorMessage().contains("already")) {
                    connection.execute("ampiasao " + DATABASE);
                    Reply table = connection.execute("manamboara tabilao w (v ISA(null,null))");
                    if (!table.isError()) {
                        return;
                    }
                    last = table.errorMessage();
                } else {
                    last = created.errorMessage();
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200); // nothing to await but a cluster that has no primary yet
        }
        throw new IllegalStateException("could not create the table through the proxy: " + last);
    }

    /** A client of the application: each value is sent once; after a broken connection, a new one. */
    private void writeThroughProxy(String client, long base) {
        DirkConnection connection = null;
        long seq = 0;
        while (writing.get()) {
            long value = base + seq++;
            if (client.equals("p1")) {
                firstClientNext.set(value + 1);
            }
            long invoked = System.nanoTime();
            try {
                if (connection == null) {
                    connection = DirkConnection.open(proxyHost, proxyPort, CLIENT_TIMEOUT_MILLIS);
                    Reply use = connection.execute("ampiasao " + DATABASE);
                    if (use.isError()) {
                        throw new IOException("ampiasao refused: " + use.errorMessage());
                    }
                    invoked = System.nanoTime();
                }
                Reply reply = connection.execute(insert(value));
                record(client, value, invoked, reply, null, -1, -1);
            } catch (IOException | RuntimeException e) {
                // Failed to connect: the write was never sent. Failed after sending: it may have been applied.
                boolean sent = connection != null;
                history.record(new History.Write(client, value, invoked, System.nanoTime(),
                        sent ? History.Outcome.UNKNOWN : History.Outcome.FAIL, null, -1, -1, e.toString()));
                close(connection);
                connection = null;
                pause();
            }
        }
        close(connection);
    }

    /**
     * Reads through the proxy (from a secondary or the primary) the values client p1 sent last, so
     * that the checker can tell whether anything read was never written.
     */
    private void readThroughProxy() {
        DirkConnection connection = null;
        while (writing.get()) {
            long high = firstClientNext.get();
            long invoked = System.nanoTime();
            try {
                if (connection == null) {
                    connection = DirkConnection.open(proxyHost, proxyPort, CLIENT_TIMEOUT_MILLIS);
                    connection.execute("ampiasao " + DATABASE);
                }
                Reply reply = connection.execute("alaivo v ao@ w #rehefa v >= " + (high - 50) + " ary v <= " + (high + 50));
                if (reply.isError()) {
                    history.record(new History.Read("r1", invoked, System.nanoTime(), null, reply.errorMessage()));
                } else {
                    List<Long> values = new ArrayList<>();
                    for (List<Object> row : ((Result.Relation) reply.result()).rows()) {
                        values.add(((Number) row.get(0)).longValue());
                    }
                    history.record(new History.Read("r1", invoked, System.nanoTime(), values, null));
                }
            } catch (IOException | RuntimeException e) {
                history.record(new History.Read("r1", invoked, System.nanoTime(), null, e.toString()));
                close(connection);
                connection = null;
            }
            pause();
        }
        close(connection);
    }

    /**
     * A client that writes straight to the member it believes is the primary (the newest one
     * sampled), asking its heartbeat on the same connection before and after each write, so that the
     * history says which member, at which epoch, acknowledged it.
     */
    private void writeToPrimary(String client, long base) {
        DirkConnection connection = null;
        String member = null;
        long seq = 0;
        while (writing.get()) {
            String target = newestPrimary;
            if (target == null) {
                pause();
                continue;
            }
            if (!target.equals(member)) {
                close(connection);
                connection = null;
                member = target;
            }
            long value = base + seq;
            long invoked = System.nanoTime();
            try {
                if (connection == null) {
                    MemberAddress address = member(member).data();
                    connection = DirkConnection.open(address.host(), address.port(), CLIENT_TIMEOUT_MILLIS);
                    Reply use = connection.execute("ampiasao " + DATABASE);
                    if (use.isError()) {
                        throw new IOException("ampiasao refused: " + use.errorMessage());
                    }
                }
                HeartbeatReport before = HeartbeatReport.parse(connection.execute("dirk heartbeat").messageText());
                if (!before.isPrimary()) {
                    pause(); // not (or no longer) the primary: wait for the sampler to see the new one
                    continue;
                }
                seq++;
                invoked = System.nanoTime();
                Reply reply;
                try {
                    reply = connection.execute(insert(value));
                } catch (IOException e) {
                    history.record(new History.Write(client, value, invoked, System.nanoTime(),
                            History.Outcome.UNKNOWN, member, before.epoch(), -1, e.toString()));
                    close(connection);
                    connection = null;
                    continue;
                }
                long after = -1;
                try {
                    after = HeartbeatReport.parse(connection.execute("dirk heartbeat").messageText()).epoch();
                } catch (IOException | RuntimeException e) {
                    close(connection);
                    connection = null;
                }
                record(client, value, invoked, reply, member, before.epoch(), after);
            } catch (IOException | RuntimeException e) {
                close(connection);
                connection = null;
                pause();
            }
        }
        close(connection);
    }

    private void record(String client, long value, long invoked, Reply reply, String member, long epochBefore,
                        long epochAfter) {
        long completed = System.nanoTime();
        if (!reply.isError()) {
            history.record(new History.Write(client, value, invoked, completed, History.Outcome.OK, member,
                    epochBefore, epochAfter, null));
        } else {
            String error = reply.errorMessage();
            history.record(new History.Write(client, value, invoked, completed,
                    refusedBeforeRunning(error) ? History.Outcome.FAIL : History.Outcome.UNKNOWN, member,
                    epochBefore, epochAfter, error));
        }
    }

    /** Errors that certainly mean the write was not applied; any other error leaves its outcome unknown. */
    static boolean refusedBeforeRunning(String error) {
        return error.contains("writes go to the primary") || error.contains("no primary available after")
                || error.contains("no member is available") || error.contains("cannot connect to");
    }

    private static String insert(long value) {
        return "manampia ao@ w (v) sanda (" + value + ")";
    }

    private Member member(String id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
    }

    private void sample() {
        ExecutorService pool = Executors.newFixedThreadPool(members.size(), r -> {
            Thread t = new Thread(r, "fault-probe");
            t.setDaemon(true);
            return t;
        });
        Map<String, HeartbeatProbe> probes = new HashMap<>();
        members.forEach(m -> probes.put(m.id(), new HeartbeatProbe(m.data(), 300)));
        while (sampling.get()) {
            List<Future<?>> round = new ArrayList<>();
            for (Member m : members) {
                round.add(pool.submit(() -> {
                    HeartbeatProbe probe = probes.get(m.id());
                    try {
                        HeartbeatReport report = probe.probe();
                        latest.put(m.id(), report);
                        history.record(new History.Sample(System.nanoTime(), m.id(), report.role(), report.epoch(),
                                report.lsn(), report.ready()));
                    } catch (IOException | RuntimeException e) {
                        latest.remove(m.id());
                        history.record(new History.Sample(System.nanoTime(), m.id(), "down", -1, -1, false));
                    }
                }));
            }
            for (Future<?> f : round) {
                try {
                    f.get();
                } catch (Exception e) {
                    // recorded as down
                }
            }
            String newest = null;
            long epoch = -1;
            for (Map.Entry<String, HeartbeatReport> e : latest.entrySet()) {
                if (e.getValue().isPrimary() && e.getValue().epoch() > epoch) {
                    newest = e.getKey();
                    epoch = e.getValue().epoch();
                }
            }
            if (newest != null && !newest.equals(newestPrimary)) {
                newestPrimary = newest;
                out.println("PRIMARY " + newest + " " + epoch);
            }
            try {
                Thread.sleep(SAMPLE_INTERVAL_MILLIS); // a sampling period, not a wait for a condition
            } catch (InterruptedException e) {
                break;
            }
        }
        probes.values().forEach(HeartbeatProbe::close);
        pool.shutdownNow();
    }

    /** Stops the clients, waits for one primary and every member at its LSN, records each member's rows. */
    private void finish(long waitMillis) throws Exception {
        writing.set(false);
        for (Thread thread : threads) {
            if (thread.getName().startsWith("fault-p") || thread.getName().startsWith("fault-d")
                    || thread.getName().startsWith("fault-r")) {
                thread.join(CLIENT_TIMEOUT_MILLIS * 3L);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (System.nanoTime() < deadline && !converged()) {
            Thread.sleep(200); // polled until the deadline: catch-up and resync take their time
        }
        sampling.set(false);
        for (Member m : members) {
            history.record(finalRows(m));
        }
        history.flush();
    }

    private boolean converged() {
        Map<String, HeartbeatReport> reports = new HashMap<>();
        for (Member m : members) {
            try (HeartbeatProbe probe = new HeartbeatProbe(m.data(), 1000)) {
                reports.put(m.id(), probe.probe());
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        List<HeartbeatReport> primaries = reports.values().stream().filter(HeartbeatReport::isPrimary).toList();
        if (primaries.size() != 1) {
            return false;
        }
        long lsn = primaries.get(0).lsn();
        return reports.values().stream().allMatch(r -> r.isPrimary()
                || r.isSecondary() && !r.mustResync() && r.lsn() == lsn);
    }

    private History.FinalRows finalRows(Member m) {
        try (DirkConnection connection = DirkConnection.open(m.data().host(), m.data().port(), CLIENT_TIMEOUT_MILLIS)) {
            HeartbeatReport report = HeartbeatReport.parse(connection.execute("dirk heartbeat").messageText());
            Reply use = connection.execute("ampiasao " + DATABASE);
            if (use.isError()) {
                return new History.FinalRows(m.id(), report.role(), report.epoch(), report.lsn(), null,
                        use.errorMessage());
            }
            Reply rows = connection.execute("alaivo v ao@ w");
            if (rows.isError()) {
                return new History.FinalRows(m.id(), report.role(), report.epoch(), report.lsn(), null,
                        rows.errorMessage());
            }
            List<Long> values = new ArrayList<>();
            for (List<Object> row : ((Result.Relation) rows.result()).rows()) {
                values.add(((Number) row.get(0)).longValue());
            }
            return new History.FinalRows(m.id(), report.role(), report.epoch(), report.lsn(), values, null);
        } catch (IOException | RuntimeException e) {
            return new History.FinalRows(m.id(), "down", -1, -1, null, e.toString());
        }
    }

    private static void close(DirkConnection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException e) {
                // broken already
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // back-off between attempts of a client, as an application would
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
