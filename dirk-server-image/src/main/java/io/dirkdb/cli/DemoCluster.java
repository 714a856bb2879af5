package io.dirkdb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.cache.CacheSettings;
import io.dirkdb.cache.CachingProxy;
import io.dirkdb.cache.ReplyCache;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.protocol.ConnectionTimeouts;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.replication.supervisor.LocalSupervisor;
import io.dirkdb.replication.supervisor.NetworkMemberControl;
import io.dirkdb.replication.supervisor.SupervisorSettings;
import io.dirkdb.server.ClusterConfig;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.Credentials;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.storage.AtomicFile;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The original's whole topology in one process, for {@code dirk demo}: members m1 (primary) and
 * m2 (secondary, streaming m1's log), the routing proxy reading the {@code config.json} written for them, the cache in
 * front of it, the local supervisor doing heartbeats and failover, and an HTTP health/metrics port
 * per piece. {@link #close()} stops it all, the supervisor first (so a stopping primary is not
 * failed over) and the members last (so they flush their logs after the last request).
 */
final class DemoCluster implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    static final String CONFIG_FILE = "config.json";
    /** Where the members' three generated passwords are kept (one file per role, readable by the owner only). */
    static final String CREDENTIALS_DIRECTORY = "credentials";
    /** As `dirk server --primary-lease-ms`: an isolated demo primary stops acknowledging after this. */
    static final java.time.Duration PRIMARY_LEASE = java.time.Duration.ofMillis(2000);

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

    private final Plan plan;
    private final List<MemberServer> members = new ArrayList<>();
    private final List<HealthHttpServer> httpServers = new ArrayList<>();
    private final Map<Piece, Integer> ports = new java.util.EnumMap<>(Piece.class);
    private final Map<Piece, Integer> httpPorts = new java.util.EnumMap<>(Piece.class);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private RoutingProxy proxy;
    private CachingProxy cache;
    private LocalSupervisor supervisor;
    private Credentials credentials = Credentials.NONE;
    private boolean closed; // guarded by this

    private DemoCluster(Plan plan) {
        this.plan = plan;
    }

    /**
     * Starts every piece, or none: when one fails, those already started are stopped again.
     *
     * @throws PortInUse when a port is taken (checked before anything starts, and again on binding)
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
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(HOST, port));
        } catch (IOException e) {
            throw new PortInUse(piece, port, http);
        }
    }

    private void startAll() throws IOException {
        Files.createDirectories(plan.dataDirectory());
        credentials = DemoCredentials.loadOrCreate(plan.dataDirectory().resolve(CREDENTIALS_DIRECTORY));
        MemberServer m1 = startMember(Piece.M1, Role.PRIMARY);
        MemberServer m2 = startMember(Piece.M2, Role.SECONDARY);
        // As members started from config.json: dirk follow and dirk resync name only the other member.
        m1.member().limitPeersTo(List.of(new Member.Peer(HOST, m2.port(), "m2")));
        m2.member().limitPeersTo(List.of(new Member.Peer(HOST, m1.port(), "m1")));
        var m2State = m2.member().state();
        if (m2State.role() == Role.SECONDARY && m2State.primaryHost() == null) {
            m2.member().follow(HOST, m1.port()); // a fresh REPLICA follows the config's MASTER from the start
        }
        Path config = writeConfig(m1.port(), m2.port());

        PrometheusMeterRegistry proxyRegistry = HealthHttpServer.newRegistry();
        ProxySettings proxySettings = proxySettingsFrom(config);
        // Clients on loopback give the proxy no password, as before; it gives members the application one.
        proxy = bind(Piece.PROXY, proxySettings.port(), false,
                () -> RoutingProxy.start(proxySettings, proxyRegistry, credentials.application()));
        ports.put(Piece.PROXY, proxy.port());
        startHttp(Piece.PROXY, proxyRegistry, proxy::readiness);

        PrometheusMeterRegistry cacheRegistry = HealthHttpServer.newRegistry();
        CacheSettings cacheSettings = new CacheSettings(HOST, proxy.port(), HOST, Piece.CACHE.port(plan.basePort()),
                plan.cacheTtlMillis(), plan.cacheMaxEntries(), ReplyCache.DEFAULT_MAX_ENTRY_BYTES,
                CacheSettings.DEFAULT_MAX_CONNECTIONS,
                RequestScanner.DEFAULT_MAX_REQUEST_BYTES, CacheSettings.DEFAULT_UPSTREAM_TIMEOUT_MILLIS,
                ConnectionTimeouts.DEFAULTS);
        cache = bind(Piece.CACHE, cacheSettings.port(), false, () -> CachingProxy.start(cacheSettings, cacheRegistry));
        ports.put(Piece.CACHE, cache.port());
        startHttp(Piece.CACHE, cacheRegistry, cache::readiness);

        SupervisorSettings watch = plan.supervisor();
        supervisor = new LocalSupervisor(List.of(new MemberAddress("m1", HOST, m1.port()),
                new MemberAddress("m2", HOST, m2.port())), watch,
                new NetworkMemberControl(watch.heartbeatTimeoutMillis(),
                        Math.max(2000, watch.heartbeatTimeoutMillis()), credentials.administration()));
        supervisor.start();
    }

    private MemberServer startMember(Piece piece, Role configuredRole) throws IOException {
        Path directory = plan.dataDirectory().resolve(piece.label);
        Files.createDirectories(directory);
        EngineDatabase database = EngineDatabase.open(directory);
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        Member member;
        try {
            member = Member.start(piece.label, database, directory, configuredRole);
            member.useLease(PRIMARY_LEASE);
            Replicator.attach(member, database.engine(), ReplicationSettings.defaults(plan.supervisor().mode())
                    .withPeerPassword(credentials.replication()), registry);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        ServerSettings settings = ServerSettings.loopback(piece.port(plan.basePort())).withCredentials(credentials);
        MemberServer server;
        try {
            server = bind(piece, settings.port(), false, () -> MemberServer.start(member, settings));
        } catch (IOException | RuntimeException e) {
            member.close();
            throw e;
        }
        members.add(server);
        ports.put(piece, server.port());
        // Ready when it serves its role: a primary taking writes, a secondary streaming from its primary.
        startHttp(piece, registry, () -> member.servesRole() ? HealthHttpServer.Readiness.ready(member.heartbeat())
                : HealthHttpServer.Readiness.notReady(member.heartbeat()));
        return server;
    }

    private interface Binding<T> {
        T bind() throws IOException;
    }

    /** Runs a bind, turning "address in use" into the one-line error naming the piece and port. */
    private static <T> T bind(Piece piece, int port, boolean http, Binding<T> binding) throws IOException {
        try {
            return binding.bind();
        } catch (BindException e) {
            throw new PortInUse(piece, port, http);
        }
    }

    private void startHttp(Piece piece, PrometheusMeterRegistry registry,
                           java.util.function.Supplier<HealthHttpServer.Readiness> readiness) throws IOException {
        if (plan.httpBasePort() < 0) {
            return;
        }
        int port = piece.port(plan.httpBasePort());
        HealthHttpServer http = bind(piece, port, true, () -> HealthHttpServer.start(HOST, port, registry, readiness));
        httpServers.add(http);
        httpPorts.put(piece, http.port());
    }

    /** The members in the original's {@code config.json} format, with the ports they really listen on. */
    private Path writeConfig(int m1Port, int m2Port) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("configVersion", 1);
        ObjectNode balancer = root.putObject("loadBalancer");
        balancer.put("listenHost", HOST);
        balancer.put("listenPort", Piece.PROXY.port(plan.basePort()));
        ArrayNode instances = root.putArray("instances");
        addInstance(instances, "m1", "MASTER", m1Port);
        addInstance(instances, "m2", "REPLICA", m2Port);
        ObjectNode routing = root.putObject("routing");
        ObjectNode reads = routing.putObject("reads");
        reads.put("strategy", "ROUND_ROBIN");
        reads.putArray("includeRoles").add("MASTER").add("REPLICA");
        routing.putObject("writes").put("mode", "SINGLE_PRIMARY");
        root.putObject("replication").put("mode", plan.supervisor().mode().wireName());
        Path file = plan.dataDirectory().resolve(CONFIG_FILE);
        AtomicFile.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        ClusterConfig.load(file); // what the proxy reads must be valid, or we fail here rather than later
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

    /** The proxy's settings from config.json, read exactly as {@code dirk proxy --config} reads it. */
    private ProxySettings proxySettingsFrom(Path config) {
        ProxyCommand command = new ProxyCommand(Map.of());
        new picocli.CommandLine(command).parseArgs("--config", config.toString(),
                "--heartbeat-interval-ms", Long.toString(plan.supervisor().heartbeatIntervalMillis()),
                "--write-wait-ms", Long.toString(plan.writeWaitMillis()));
        return command.settings();
    }

    /**
     * Waits up to {@code millis} until the proxy knows a primary to send writes to, so the first
     * statements of a script do not wait for it. False when it does not within that time.
     */
    boolean awaitWritable(long millis) throws InterruptedException {
        return proxy.table().awaitWriteTarget(millis).isPresent();
    }

    int port(Piece piece) {
        return ports.get(piece);
    }

    /** The HTTP port of a piece, or -1 when HTTP is off. */
    int httpPort(Piece piece) {
        return httpPorts.getOrDefault(piece, -1);
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

    String role(Piece piece) {
        for (MemberServer member : members) {
            if (member.member().id().equals(piece.label)) {
                var state = member.member().state();
                return state.role().wireName() + ", epoch " + state.epoch();
            }
        }
        return null;
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
            if (cache != null) {
                cache.close();
            }
            if (proxy != null) {
                proxy.close();
            }
            httpServers.forEach(HealthHttpServer::close);
            members.forEach(MemberServer::close); // statements in flight finish, logs are flushed
        } finally {
            stopped.countDown();
        }
    }
}
