package io.dirkdb.bench;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures what users feel: durable single-row inserts per second (1 and N connections), point
 * lookups per second, and how long a member takes to accept connections on a big data directory.
 */
public final class ServerBenchmark {

    /** What to run. {@code startupRows} 0 skips the start-up measure (it needs an embedded server). */
    public record Settings(String host, int port, String password, int inserts, int insertConnections,
            int lookupRows, int lookups, int lookupConnections, int startupRows) {}

    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+) ");

    private final Settings settings;
    private final PrintStream out;
    private final String database;

    /** A benchmark working in a fresh database {@code bench_<random>}. */
    public ServerBenchmark(Settings settings, PrintStream out) {
        this(settings, "bench_" + Long.toString(System.nanoTime() % 1_000_000_000L, 36), out);
    }

    /** A benchmark working in {@code database}, made by {@link #load} (for measures run one by one). */
    public ServerBenchmark(Settings settings, String database, PrintStream out) {
        this.settings = settings;
        this.database = database;
        this.out = out;
    }

    /** Runs every measure against the server of the settings. */
    public void runAgainstServer() throws Exception {
        try (DirkConnection setup = connect()) {
            check(setup.execute("manamboara tahiry " + database));
            check(setup.execute("ampiasao " + database));
            check(setup.execute("manamboara tabilao ins1 (id ISA(null,null), v LAHATSORATRA(null,null))"));
            check(setup.execute("manamboara tabilao insn (id ISA(null,null), v LAHATSORATRA(null,null))"));
            check(setup.execute("manamboara tabilao look (id ISA(null,null), v LAHATSORATRA(null,null))"));
        }
        measureInserts("ins1", 1);
        measureInserts("insn", settings.insertConnections());
        measureLookups();
        measureScans();
    }

    /**
     * Full scans of the lookup table on one connection, with a condition no index answers and no row meets: what
     * walking every row costs the engine, without the reply's size.
     */
    private void measureScans() throws Exception {
        int rows = settings.lookupRows();
        long scans = Math.max(5, Math.min(1000, 5_000_000L / Math.max(1, rows)));
        Rate rate = run(1, new Budget(scans, null, java.time.Duration.ZERO), (connection, worker, i) -> {
            Reply reply = check(connection.execute("alaivo v #ao@ look #rehefa id < 0"));
            if (!(reply.result() instanceof Result.Relation relation) || !relation.rows().isEmpty()) {
                throw new IllegalStateException("a scan for no row returned rows");
            }
        });
        out.printf(Locale.ROOT, "full scans of %d rows (a condition no index answers), 1 connection: %d in %.2f s = "
                + "%.1f/s, %.0f rows/s%n", rows, rate.operations(), rate.seconds(), rate.perSecond(),
                rate.perSecond() * rows);
    }

    /**
     * Starts a member in this process on {@code dataDirectory}, runs every measure against it,
     * then measures a restart on a directory holding {@code startupRows} rows.
     */
    public static void runEmbedded(Settings settings, Path dataDirectory, PrintStream out) throws Exception {
        MemberServer server = startEmbedded(settings, dataDirectory);
        Settings local = new Settings("127.0.0.1", server.port(), settings.password(), settings.inserts(),
                settings.insertConnections(), settings.lookupRows(), settings.lookups(),
                settings.lookupConnections(), settings.startupRows());
        out.println("embedded server on 127.0.0.1:" + server.port() + ", data in " + dataDirectory);
        try {
            ServerBenchmark benchmark = new ServerBenchmark(local, out);
            benchmark.runAgainstServer();
            if (settings.startupRows() > 0) {
                benchmark.fillForStartup();
            }
        } finally {
            server.close();
        }
        if (settings.startupRows() > 0) {
            measureStartup(settings, dataDirectory, out);
            measureColdStartup(settings, dataDirectory, out);
        }
    }

    /** Start-up in a fresh JVM (no warm JIT, as after a pod restart): time until it answers a heartbeat. */
    private static void measureColdStartup(Settings settings, Path dataDirectory, PrintStream out) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk", "server",
                "--data-dir", dataDirectory.toString(), "--host", "127.0.0.1", "--port", "0");
        long started = System.nanoTime();
        Process server = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8));
            Matcher listening = null;
            String line;
            while ((line = lines.readLine()) != null) {
                listening = LISTENING.matcher(line);
                if (listening.find()) {
                    break;
                }
            }
            if (line == null) {
                out.println("cold start-up: the server process did not start");
                return;
            }
            com.fasterxml.jackson.databind.JsonNode heartbeat;
            try (DirkConnection connection = DirkConnection.open("127.0.0.1", Integer.parseInt(listening.group(1)))) {
                heartbeat = HEARTBEAT_JSON.readTree(check(connection.execute("dirk heartbeat")).messageText());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "cold start-up of a new JVM on %d rows: accepting connections after %.2f s, heap "
                            + "in use %d MiB (garbage included) of %d MiB, data estimate %d MiB%n",
                    settings.startupRows(), seconds, heartbeat.path("heapUsed").asLong() >> 20,
                    heartbeat.path("heapMax").asLong() >> 20, heartbeat.path("dataBytes").asLong() >> 20);
        } finally {
            server.destroy(); // SIGTERM: a clean stop
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper HEARTBEAT_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private static MemberServer startEmbedded(Settings settings, Path dataDirectory) throws IOException {
        EngineDatabase database = EngineDatabase.open(dataDirectory);
        Member member = Member.start("bench", database, dataDirectory, Role.PRIMARY);
        ServerSettings serverSettings = ServerSettings.loopback(0).withPassword(settings.password())
                .withMaxConnections(Math.max(64, settings.insertConnections() + settings.lookupConnections() + 4));
        return MemberServer.start(member, serverSettings);
    }

    /** How long a measure runs: a number of operations per connection, or a time after a warm-up. */
    public record Budget(long perConnection, java.time.Duration time, java.time.Duration warmUp) {
        /** {@code operations} in all, shared by the connections. */
        public static Budget operations(int operations) {
            return new Budget(operations, null, java.time.Duration.ZERO);
        }

        /** As many operations as fit in {@code time}, after {@code warmUp} of the same work not counted. */
        public static Budget timed(java.time.Duration time, java.time.Duration warmUp) {
            return new Budget(Long.MAX_VALUE, time, warmUp);
        }
    }

    /** Operations done and the wall-clock seconds they took. */
    private record Rate(long operations, double seconds) {
        double perSecond() {
            return operations / seconds;
        }
    }

    private void measureInserts(String table, int connections) throws Exception {
        measureInserts(table, connections, Budget.operations(settings.inserts()));
    }

    /**
     * Durable single-row inserts into {@code table} on {@code connections} connections; prints and gives back
     * inserts per second.
     */
    public double measureInserts(String table, int connections, Budget budget) throws Exception {
        Budget shared = budget.time() == null
                ? new Budget(budget.perConnection() / connections, null, java.time.Duration.ZERO) : budget;
        Rate rate = run(connections, shared, (connection, worker, i) -> {
            long id = i * connections + worker;
            check(connection.execute("manampia ao@ " + table + " (id, v) sanda (" + id + ", 'row " + id + "')"));
        });
        out.printf(Locale.ROOT, "durable inserts, %d connection%s: %d in %.2f s = %.0f/s%n", connections,
                connections == 1 ? "" : "s", rate.operations(), rate.seconds(), rate.perSecond());
        return rate.perSecond();
    }

    private void measureLookups() throws Exception {
        try (DirkConnection connection = connectTo(database)) {
            insertBulk(connection, "look", 0, settings.lookupRows());
        }
        int connections = settings.lookupConnections();
        measureLookups(settings.lookupRows(), connections,
                new Budget(settings.lookups() / connections, null, java.time.Duration.ZERO));
    }

    /**
     * Point lookups by equality on the indexed id of the lookup table, ids drawn from {@code 0..keys-1}, on
     * {@code connections} connections; prints and gives back lookups per second.
     */
    public double measureLookups(int keys, int connections, Budget budget) throws Exception {
        SplittableRandom[] randoms = new SplittableRandom[connections];
        for (int c = 0; c < connections; c++) {
            randoms[c] = new SplittableRandom(c);
        }
        Rate rate = run(connections, budget, (connection, worker, i) -> {
            Reply reply = check(connection.execute("alaivo v #ao@ look #rehefa id = " + randoms[worker].nextInt(keys)));
            if (!(reply.result() instanceof Result.Relation relation) || relation.rows().size() != 1) {
                throw new IllegalStateException("a point lookup did not return one row");
            }
        });
        out.printf(Locale.ROOT, "point lookups by equality on %d rows, %d connections: %d in %.2f s = %.0f/s%n",
                keys, connections, rate.operations(), rate.seconds(), rate.perSecond());
        return rate.perSecond();
    }

    /** Creates the benchmark's database and its tables, and loads {@code lookupRows} rows. */
    public void load(int lookupRows) throws IOException {
        try (DirkConnection setup = connect()) {
            check(setup.execute("manamboara tahiry " + database));
            check(setup.execute("ampiasao " + database));
            check(setup.execute("manamboara tabilao ins1 (id ISA(null,null), v LAHATSORATRA(null,null))"));
            check(setup.execute("manamboara tabilao insn (id ISA(null,null), v LAHATSORATRA(null,null))"));
            check(setup.execute("manamboara tabilao look (id ISA(null,null), v LAHATSORATRA(null,null))"));
            insertBulk(setup, "look", 0, lookupRows);
        }
        out.printf(Locale.ROOT, "loaded %d rows into %s.look%n", lookupRows, database);
    }

    private interface Operation {
        void run(DirkConnection connection, int worker, long index) throws Exception;
    }

    /**
     * Runs {@code operation} on {@code connections} connections opened beforehand (connecting is not measured),
     * each on its own thread, first for the warm-up, then for the budget.
     */
    private Rate run(int connections, Budget budget, Operation operation) throws Exception {
        List<DirkConnection> opened = new ArrayList<>();
        try {
            for (int c = 0; c < connections; c++) {
                opened.add(connectTo(database));
            }
            if (budget.warmUp().compareTo(java.time.Duration.ZERO) > 0) {
                runFor(opened, Long.MAX_VALUE, System.nanoTime() + budget.warmUp().toNanos(), operation);
            }
            long deadline = budget.time() == null ? Long.MAX_VALUE : System.nanoTime() + budget.time().toNanos();
            long started = System.nanoTime();
            long operations = runFor(opened, budget.perConnection(), deadline, operation);
            return new Rate(operations, (System.nanoTime() - started) / 1e9);
        } finally {
            for (DirkConnection connection : opened) {
                connection.close();
            }
        }
    }

    /** Each connection runs until it did {@code perConnection} operations or the deadline passed; their sum. */
    private static long runFor(List<DirkConnection> connections, long perConnection, long deadline,
            Operation operation) throws Exception {
        long[] done = new long[connections.size()];
        inParallel(connections.size(), worker -> {
            DirkConnection connection = connections.get(worker);
            long i = 0;
            while (i < perConnection && (deadline == Long.MAX_VALUE || System.nanoTime() < deadline)) {
                operation.run(connection, worker, i);
                i++;
            }
            done[worker] = i;
        });
        long sum = 0;
        for (long count : done) {
            sum += count;
        }
        return sum;
    }

    private void fillForStartup() throws Exception {
        long started = System.nanoTime();
        try (DirkConnection connection = connectTo(database)) {
            check(connection.execute("manamboara tabilao big (id ISA(null,null), v LAHATSORATRA(null,null))"));
            insertBulk(connection, "big", 0, settings.startupRows());
        }
        out.printf(Locale.ROOT, "loaded %d rows for the start-up measure in %.1f s%n", settings.startupRows(),
                (System.nanoTime() - started) / 1e9);
    }

    private static void measureStartup(Settings settings, Path dataDirectory, PrintStream out) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        long started = System.nanoTime();
        MemberServer server = startEmbedded(settings, dataDirectory);
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
            check(connection.execute("dirk heartbeat"));
            double seconds = (System.nanoTime() - started) / 1e9;
            System.gc();
            long heapUsed = memory.getHeapMemoryUsage().getUsed() - heapBefore;
            out.printf(Locale.ROOT, "start-up on %d rows: accepting connections after %.2f s, heap used %d MiB after a "
                            + "full GC, data estimate %d MiB%n", settings.startupRows(), seconds,
                    Math.max(0, heapUsed) >> 20, server.member().database().memory().dataBytes() >> 20);
        } finally {
            server.close();
        }
    }

    /** Inserts rows {@code from..from+count-1}, 1,000 per statement. */
    private static void insertBulk(DirkConnection connection, String table, int from, int count) throws IOException {
        int batch = 1000;
        for (int start = from; start < from + count; start += batch) {
            StringBuilder statement = new StringBuilder("manampia ao@ ").append(table).append(" (id, v) sanda ");
            int end = Math.min(from + count, start + batch);
            for (int id = start; id < end; id++) {
                statement.append(id == start ? "" : ", ").append('(').append(id).append(", 'row ").append(id).append("')");
            }
            check(connection.execute(statement.toString()));
        }
    }

    private interface Worker {
        void run(int worker) throws Exception;
    }

    /** Runs {@code workers} copies of a task on their own threads; returns the wall-clock seconds. */
    private static double inParallel(int workers, Worker task) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(workers);
        try {
            long started = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                futures.add(threads.submit(() -> {
                    task.run(worker);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
            return (System.nanoTime() - started) / 1e9;
        } finally {
            threads.shutdownNow();
        }
    }

    private DirkConnection connect() throws IOException {
        DirkConnection connection = DirkConnection.open(settings.host(), settings.port());
        if (settings.password() != null) {
            check(connection.authenticate(settings.password()));
        }
        return connection;
    }

    private DirkConnection connectTo(String databaseName) throws IOException {
        DirkConnection connection = connect();
        check(connection.execute("ampiasao " + databaseName));
        return connection;
    }

    private static Reply check(Reply reply) {
        if (reply.isError()) {
            throw new DirkException("the benchmark got an error: " + reply.errorMessage());
        }
        return reply;
    }
}
