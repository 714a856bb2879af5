package io.dirkdb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import io.dirkdb.server.ClusterConfig;
import io.dirkdb.server.Credentials;
import io.dirkdb.storage.AtomicFile;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The original's whole topology on one machine, for {@code dirk demo}: members m1 (primary) and m2 (secondary,
 * streaming m1's log), the routing proxy reading the {@code config.json} written for them and the cache in front of
 * it, each a {@code dirk} process of its own (so {@code kill -9} of the primary is a real crash), plus the local
 * supervisor in this process doing heartbeats and failover. A piece that dies while the demo runs is started again
 * after a pause, as a kubelet would: a killed primary comes back, is fenced and follows the new one.
 * {@link #close()} stops it all, the supervisor first (so a stopping primary is not failed over) and the members
 * last (so they flush their logs after the last request).
 */
final class DemoCluster implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.demo");
    static final String HOST = "127.0.0.1";
    static final String CONFIG_FILE = "config.json";
    /** Where the members' three generated passwords are kept (one file per role, readable by the owner only). */
    static final String CREDENTIALS_DIRECTORY = "credentials";
    /** Where each piece's process writes its output ({@code m1.log}, {@code proxy.log}, ...). */
    static final String LOG_DIRECTORY = "logs";
    /** As `dirk server --primary-lease-ms`: an isolated demo primary stops acknowledging after this. */
    static final Duration PRIMARY_LEASE = Duration.ofMillis(2000);
    /** Set in each piece's environment: the piece exits when the process of this id does (see {@link Dirk}). */
    static final String PARENT_PID_VARIABLE = "DIRK_EXIT_WITH_PID";
    /** How long a piece may take to listen after its start (a cold JVM on a busy machine). */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /**
     * A piece that died is started again after this; doubled (up to 40 s) while it keeps dying within a minute. Longer
     * than the supervisor takes to fail over with the default settings (three missed 500 ms heartbeats, then the
     * promotion), so a killed primary comes back to find a new one rather than racing it.
     */
    private static final Duration RESTART_PAUSE = Duration.ofSeconds(5);

    /** One piece of the demo, in the order of the original's ports: m1 3948, proxy 3949, m2 3950, cache 3951. */
    enum Piece {
        M1("m1"), PROXY("proxy"), M2("m2"), CACHE("cache");

        final String label;

        Piece(String label) {
            this.label = label;
        }

        /** The port of this piece for a base port (0: any free port for every piece). */
        int port(int base) {
            return base == 0 ? 0 : base + ordinal();
        }

        boolean member() {
            return this == M1 || this == M2;
        }
    }

    /**
     * What to start.
     *
     * @param basePort m1's port; the proxy, m2 and the cache take the next three; 0 for any free ports
     * @param httpBasePort the same for the HTTP ports; 0 for any free ports; -1 for no HTTP
     */
    record Plan(Path dataDirectory, int basePort, int httpBasePort, SupervisorSettings supervisor,
                long writeWaitMillis, long cacheTtlMillis, int cacheMaxEntries) {}

    /** A port the demo needs is taken; the message names it. */
    static final class PortInUse extends DirkException {
        PortInUse(Piece piece, int port, boolean http) {
            super("port " + port + " (" + piece.label + (http ? " HTTP" : "") + ") on " + HOST
                    + " is already in use");
        }
    }

    /** A piece's process: its command, and the one running now (replaced when it is restarted). */
    private static final class Child {
        final Piece piece;
        final List<String> command;
        final Path log;
        volatile Process process;
        int restarts;
        long startedNanos;
        Duration pause = RESTART_PAUSE;

        Child(Piece piece, List<String> command, Path log) {
            this.piece = piece;
            this.command = command;
            this.log = log;
        }
    }

    private final Plan plan;
    private final Map<Piece, Integer> ports = new EnumMap<>(Piece.class);
    private final Map<Piece, Integer> httpPorts = new EnumMap<>(Piece.class);
    private final Map<Piece, Child> children = new EnumMap<>(Piece.class);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "dirk-demo-restarts");
        thread.setDaemon(true);
        return thread;
    });
    private LocalSupervisor supervisor;
    private Credentials credentials = Credentials.NONE;
    private volatile boolean closed;

    private DemoCluster(Plan plan) {
        this.plan = plan;
    }

    /**
     * Starts every piece, or none: when one fails, those already started are stopped again.
     *
     * @throws PortInUse when a port is taken (checked before anything starts)
     */
    static DemoCluster start(Plan plan) throws IOException {
        checkPortsFree(plan);
        DemoCluster cluster = new DemoCluster(plan);
        try {
            cluster.startAll();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private static void checkPortsFree(Plan plan) {
        for (Piece piece : Piece.values()) {
            requireFree(piece, piece.port(plan.basePort()), false);
            if (plan.httpBasePort() >= 0) {
                requireFree(piece, piece.port(plan.httpBasePort()), true);
            }
        }
    }

    private static void requireFree(Piece piece, int port, boolean http) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(HOST, port));
        } catch (IOException e) {
            throw new PortInUse(piece, port, http);
        }
    }

    /** A port free now, for a piece started with port 0 in the plan (the piece binds it a moment later). */
    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(HOST, 0));
            return probe.getLocalPort();
        }
    }

    private void startAll() throws IOException {
        Files.createDirectories(plan.dataDirectory().resolve(LOG_DIRECTORY));
        credentials = DemoCredentials.loadOrCreate(credentialsDirectory());
        for (Piece piece : Piece.values()) {
            int port = piece.port(plan.basePort());
            ports.put(piece, port == 0 ? freePort() : port);
            if (plan.httpBasePort() >= 0) {
                int http = piece.port(plan.httpBasePort());
                httpPorts.put(piece, http == 0 ? freePort() : http);
            }
        }
        Path config = writeConfig();
        Path passwords = credentialsDirectory();
        for (Piece member : List.of(Piece.M1, Piece.M2)) {
            Files.createDirectories(plan.dataDirectory().resolve(member.label));
            launch(member, List.of("server", "--config", config.toString(), "--id", member.label,
                    "--primary-lease-ms", Long.toString(PRIMARY_LEASE.toMillis()),
                    "--password-file", passwords.resolve(DemoCredentials.APPLICATION).toString(),
                    "--replication-password-file", passwords.resolve(DemoCredentials.REPLICATION).toString(),
                    "--admin-password-file", passwords.resolve(DemoCredentials.ADMINISTRATION).toString()));
        }
        // Clients on loopback give the proxy no password, as before; it gives members the application one.
        launch(Piece.PROXY, List.of("proxy", "--config", config.toString(),
                "--heartbeat-interval-ms", Long.toString(plan.supervisor().heartbeatIntervalMillis()),
                "--write-wait-ms", Long.toString(plan.writeWaitMillis()),
                "--member-password-file", passwords.resolve(DemoCredentials.APPLICATION).toString()));
        launch(Piece.CACHE, List.of("cache", HOST, Integer.toString(port(Piece.PROXY)),
                Integer.toString(port(Piece.CACHE)), Long.toString(plan.cacheTtlMillis()),
                Integer.toString(plan.cacheMaxEntries()), "--host", HOST));
        for (Piece piece : Piece.values()) {
            awaitListening(children.get(piece));
        }
        SupervisorSettings watch = plan.supervisor();
        supervisor = new LocalSupervisor(List.of(new MemberAddress("m1", HOST, port(Piece.M1)),
                new MemberAddress("m2", HOST, port(Piece.M2))), watch,
                new NetworkMemberControl(watch.heartbeatTimeoutMillis(),
                        Math.max(2000, watch.heartbeatTimeoutMillis()), credentials.administration()));
        supervisor.start();
    }

    /** Starts {@code piece} as {@code dirk ARGS}, its output appended to its log file. */
    private void launch(Piece piece, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Four JVMs on a laptop: small heaps, one GC thread, quick start.
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Dirk.class.getName()));
        command.addAll(arguments);
        if (httpPorts.containsKey(piece)) {
            command.addAll(List.of("--http-port", Integer.toString(httpPorts.get(piece))));
        }
        Child child = new Child(piece, List.copyOf(command), plan.dataDirectory().resolve(LOG_DIRECTORY)
                .resolve(piece.label + ".log"));
        children.put(piece, child);
        spawn(child);
    }

    private void spawn(Child child) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(child.command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(child.log.toFile()));
        builder.environment().put(PARENT_PID_VARIABLE, Long.toString(ProcessHandle.current().pid()));
        Process process = builder.start();
        child.process = process;
        child.startedNanos = System.nanoTime();
        process.onExit().thenAccept(this::exited);
    }

    /** A piece's process ended: unless the demo is stopping, it is started again after a pause. */
    private void exited(Process process) {
        if (closed) {
            return;
        }
        Child child = children.values().stream().filter(c -> c.process == process).findFirst().orElse(null);
        if (child == null) {
            return;
        }
        boolean quickDeath = System.nanoTime() - child.startedNanos < TimeUnit.MINUTES.toNanos(1);
        child.pause = quickDeath && child.restarts > 0
                ? Duration.ofMillis(Math.min(40_000, child.pause.toMillis() * 2)) : RESTART_PAUSE;
        LOG.log(Level.WARNING, "{0} (pid {1}) exited with code {2}; starting it again in {3} ms (its output: {4})",
                child.piece.label, Long.toString(process.pid()), process.exitValue(), child.pause.toMillis(), child.log);
        restarts.schedule(() -> {
            if (closed) {
                return;
            }
            try {
                child.restarts++;
                spawn(child);
                LOG.log(Level.INFO, "{0} started again as pid {1}", child.piece.label,
                        Long.toString(child.process.pid()));
            } catch (IOException e) {
                LOG.log(Level.ERROR, "{0} cannot be started again: {1}", child.piece.label, e.getMessage());
            }
        }, child.pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until {@code child}'s port takes connections; fails with its last output line if it exits first. */
    private void awaitListening(Child child) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        int port = port(child.piece);
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(HOST, port), 200);
                return;
            } catch (IOException notYet) {
                if (!child.process.isAlive()) {
                    throw new DirkException(child.piece.label + " exited with code " + child.process.exitValue()
                            + ": " + lastLine(child.log));
                }
                if (System.nanoTime() > deadline) {
                    throw new DirkException(child.piece.label + " does not listen on " + HOST + ":" + port + " after "
                            + START_TIMEOUT.toSeconds() + " s (see " + child.log + ")");
                }
                try {
                    Thread.sleep(50); // a port opening: nothing to wait on but the port itself
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DirkException("interrupted while " + child.piece.label + " started");
                }
            }
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).strip();
                }
            }
            return "(no output)";
        } catch (IOException e) {
            return "(its output " + log + " cannot be read: " + e.getMessage() + ")";
        }
    }

    /** The members in the original's {@code config.json} format, with the ports they listen on. */
    private Path writeConfig() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("configVersion", 1);
        ObjectNode balancer = root.putObject("loadBalancer");
        balancer.put("listenHost", HOST);
        balancer.put("listenPort", port(Piece.PROXY));
        ArrayNode instances = root.putArray("instances");
        addInstance(instances, "m1", "MASTER", port(Piece.M1));
        addInstance(instances, "m2", "REPLICA", port(Piece.M2));
        ObjectNode routing = root.putObject("routing");
        ObjectNode reads = routing.putObject("reads");
        reads.put("strategy", "ROUND_ROBIN");
        reads.putArray("includeRoles").add("MASTER").add("REPLICA");
        routing.putObject("writes").put("mode", "SINGLE_PRIMARY");
        root.putObject("replication").put("mode", plan.supervisor().mode().wireName());
        Path file = plan.dataDirectory().resolve(CONFIG_FILE);
        AtomicFile.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        ClusterConfig.load(file); // what the pieces read must be valid, or we fail here rather than in four logs
        return file;
    }

    private void addInstance(ArrayNode instances, String id, String role, int port) {
        ObjectNode instance = instances.addObject();
        instance.put("id", id);
        instance.put("role", role);
        instance.put("host", HOST);
        instance.put("port", port);
        instance.put("dataDirectory", plan.dataDirectory().resolve(id).toString());
    }

    /**
     * Waits up to {@code millis} until the proxy knows a primary to send writes to, so the first
     * statements of a script do not wait for it. False when it does not within that time.
     */
    boolean awaitWritable(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        do {
            try (DirkConnection proxy = DirkConnection.open(HOST, port(Piece.PROXY), 2000)) {
                JsonNode view = new ObjectMapper().readTree(proxy.execute("dirk heartbeat").messageText());
                if (view.hasNonNull("primary")) {
                    return true;
                }
            } catch (IOException | RuntimeException notYet) {
                // the proxy is starting or has not heard a primary yet
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return false;
    }

    int port(Piece piece) {
        return ports.get(piece);
    }

    /** The HTTP port of a piece, or -1 when HTTP is off. */
    int httpPort(Piece piece) {
        return httpPorts.getOrDefault(piece, -1);
    }

    /** The process id of a piece now. */
    long pid(Piece piece) {
        return children.get(piece).process.pid();
    }

    /** The members' passwords, made on the first start in this data directory. */
    Credentials credentials() {
        return credentials;
    }

    Path credentialsDirectory() {
        return plan.dataDirectory().resolve(CREDENTIALS_DIRECTORY);
    }

    Path configFile() {
        return plan.dataDirectory().resolve(CONFIG_FILE);
    }

    Path logDirectory() {
        return plan.dataDirectory().resolve(LOG_DIRECTORY);
    }

    /** A member's role and epoch as its heartbeat says ("primary, epoch 1"); null for the proxy and the cache. */
    String role(Piece piece) {
        if (!piece.member()) {
            return null;
        }
        HeartbeatReport report = heartbeat(piece);
        return report == null ? "not answering" : report.role() + ", epoch " + report.epoch();
    }

    private HeartbeatReport heartbeat(Piece member) {
        try (DirkConnection connection = DirkConnection.open(HOST, port(member), 2000)) {
            Reply reply = connection.execute("dirk heartbeat");
            return HeartbeatReport.parse(reply.messageText());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Waits until the members have settled: one of them primary, and the other a secondary that follows it at its
     * epoch. Until the supervisor has told it to follow, a member that has just started says epoch 0 (or, on a later
     * start, the epoch it had before), which the banner would show.
     *
     * @return whether they settled within {@code millis}
     */
    boolean awaitSettled(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        do {
            HeartbeatReport first = heartbeat(Piece.M1);
            HeartbeatReport second = heartbeat(Piece.M2);
            if (first != null && second != null
                    && (settled(first, second) || settled(second, first))) {
                return true;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private static boolean settled(HeartbeatReport primary, HeartbeatReport secondary) {
        return primary.isPrimary() && HeartbeatReport.SECONDARY.equals(secondary.role())
                && secondary.following() != null && secondary.epoch() == primary.epoch();
    }

    LocalSupervisor supervisor() {
        return supervisor;
    }

    /** Blocks until {@link #close()} has finished. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (supervisor != null) {
                supervisor.close();
            }
            restarts.shutdownNow();
            // The cache and the proxy first, the members last: statements in flight finish, logs are flushed.
            for (Piece piece : List.of(Piece.CACHE, Piece.PROXY, Piece.M2, Piece.M1)) {
                Child child = children.get(piece);
                if (child != null) {
                    stop(child.process);
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    /** SIGTERM (each piece stops cleanly on it), then SIGKILL if it is still there after the stop timeout. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
