package io.dirkdb.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The routing proxy ({@code dirk proxy}): clients speak the DirkDB protocol to it as to a member;
 * it sends writes to the primary with the highest epoch, spreads reads over the serving members,
 * and learns who is who from heartbeats. See {@link ProxySession} for the routing of one request.
 */
public final class RoutingProxy implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Counted per statement kind, plus requests that did not parse. */
    enum Traffic { READ, WRITE, SCHEMA, USE, CONTROL, UNPARSED }

    private final ProxySettings settings;
    private final BackendTable table;
    private final BackendPool pool;
    private final HeartbeatProber prober;
    private final RelayServer server;
    private final Map<Traffic, Counter> requests = new EnumMap<>(Traffic.class);
    private final Counter memberFailures;
    private final Counter writesWithoutPrimary;
    private final MeterRegistry registry;
    private final Map<String, Meter> memberGauges = new HashMap<>();
    /** Password guessing from one client address, across its connections. */
    private final io.dirkdb.protocol.AddressAuthenticationThrottle addressThrottle =
            new io.dirkdb.protocol.AddressAuthenticationThrottle();

    private RoutingProxy(ProxySettings settings, RelayTls tls, MeterRegistry registry, String memberPassword)
            throws IOException {
        this.settings = settings;
        this.table = new BackendTable(settings.members(), settings.maxReadLagLsn());
        // Mid-rotation, a member not restarted since takes the previous password (the demo's closed members have none).
        List<String> fallbacks = settings.previousPassword() != null && java.util.Objects.equals(memberPassword,
                settings.password()) ? List.of(settings.previousPassword()) : List.of();
        this.pool = new BackendPool(settings.members(), settings.connectionsPerMember(), memberPassword, fallbacks,
                settings.backendTimeoutMillis(), tls.upstream());
        this.prober = new HeartbeatProber(table, pool, settings.heartbeatIntervalMillis());
        for (Traffic kind : Traffic.values()) {
            requests.put(kind, Counter.builder("dirk.proxy.requests").tag("kind", kind.name().toLowerCase())
                    .description("requests routed by the proxy").register(registry));
        }
        this.memberFailures = Counter.builder("dirk.proxy.member.failures")
                .description("requests that failed because a member broke the connection or did not answer")
                .register(registry);
        this.writesWithoutPrimary = Counter.builder("dirk.proxy.writes.without.primary")
                .description("writes that found no primary within --write-wait-ms").register(registry);
        Gauge.builder("dirk.proxy.primary.available", table, t -> t.writeTarget().isPresent() ? 1 : 0)
                .description("1 when the proxy knows a primary to write to").register(registry);
        Gauge.builder("dirk.proxy.members.serving", table,
                t -> t.views().stream().filter(v -> v.health() == MemberHealth.SERVING).count())
                .description("members that answer their heartbeat and can serve").register(registry);
        this.registry = registry;
        followMemberGauges();
        prober.start();
        try {
            this.server = RelayServer.start("proxy", settings.host(), settings.port(), settings.maxConnections(),
                    settings.maxRequestBytes(), settings.timeouts(), tls.listener(), () -> new ProxySession(this));
        } catch (IOException e) {
            prober.close();
            pool.close();
            throw e;
        }
    }

    /**
     * Starts probing the members and serving clients.
     *
     * @param registry where the proxy's meters go ({@link HealthHttpServer#newRegistry()} in production)
     */
    public static RoutingProxy start(ProxySettings settings, MeterRegistry registry) throws IOException {
        return new RoutingProxy(settings, RelayTls.PLAIN, registry, settings.password());
    }

    /** As above, with TLS toward clients and/or toward the members. */
    public static RoutingProxy start(ProxySettings settings, RelayTls tls, MeterRegistry registry) throws IOException {
        return new RoutingProxy(settings, tls, registry, settings.password());
    }

    /**
     * As {@link #start(ProxySettings, MeterRegistry)}, giving members {@code memberPassword} (their application
     * password) while clients give {@code settings.password()}: {@code dirk demo}'s loopback front door asks
     * clients for none while its members are closed.
     */
    public static RoutingProxy start(ProxySettings settings, MeterRegistry registry, String memberPassword)
            throws IOException {
        return new RoutingProxy(settings, RelayTls.PLAIN, registry, memberPassword);
    }

    /** As above, with TLS toward clients and/or toward the members. */
    public static RoutingProxy start(ProxySettings settings, RelayTls tls, MeterRegistry registry, String memberPassword)
            throws IOException {
        return new RoutingProxy(settings, tls, registry, memberPassword);
    }

    public int port() {
        return server.port();
    }

    /**
     * Changes the members without a restart (config.json was edited): new members are probed at
     * once and get traffic once they answer; removed ones get no new requests, and their
     * connections close as the requests in flight on them finish.
     */
    public synchronized void replaceMembers(List<MemberAddress> members) {
        table.replaceMembers(members);
        pool.replaceMembers(members);
        prober.followMembers();
        followMemberGauges();
    }

    private synchronized void followMemberGauges() {
        Set<String> ids = new HashSet<>();
        for (MemberAddress member : table.members()) {
            ids.add(member.id());
            memberGauges.computeIfAbsent(member.id(), id -> Gauge.builder("dirk.proxy.member.serving", table,
                            t -> t.view(id) != null && t.view(id).health() == MemberHealth.SERVING ? 1 : 0)
                    .tag("member", id)
                    .description("1 when the member answers its heartbeat and can serve, 0 otherwise")
                    .register(registry));
        }
        memberGauges.entrySet().removeIf(entry -> {
            if (ids.contains(entry.getKey())) {
                return false;
            }
            registry.remove(entry.getValue());
            return true;
        });
    }

    io.dirkdb.protocol.AddressAuthenticationThrottle addressThrottle() {
        return addressThrottle;
    }

    public ProxySettings settings() {
        return settings;
    }

    public BackendTable table() {
        return table;
    }

    BackendPool pool() {
        return pool;
    }

    HeartbeatProber prober() {
        return prober;
    }

    void count(Traffic kind) {
        requests.get(kind).increment();
    }

    void countMemberFailure() {
        memberFailures.increment();
    }

    void countWriteWithoutPrimary() {
        writesWithoutPrimary.increment();
    }

    /** Ready when a client can do something useful: some member serves reads. */
    public HealthHttpServer.Readiness readiness() {
        String primary = table.writeTarget().map(MemberAddress::toString).orElse("none");
        boolean readable = table.views().stream().anyMatch(v -> v.health() == MemberHealth.SERVING);
        String detail = "primary " + primary + ", " + table.views().stream()
                .filter(v -> v.health() == MemberHealth.SERVING).count() + " of " + table.members().size()
                + " members serving";
        return readable ? HealthHttpServer.Readiness.ready(detail) : HealthHttpServer.Readiness.notReady(detail);
    }

    /** The proxy's answer to {@code dirk heartbeat;}: its own view of the cluster as one JSON line. */
    String heartbeat() {
        ObjectNode node = JSON.createObjectNode();
        node.put("role", "proxy");
        node.put("ready", readiness().ready());
        node.put("primary", table.writeTarget().map(MemberAddress::id).orElse(null));
        ArrayNode members = node.putArray("members");
        for (BackendTable.MemberView view : table.views()) {
            ObjectNode member = members.addObject();
            member.put("id", view.address().id());
            member.put("health", view.health().name().toLowerCase());
            if (view.report() != null) {
                member.put("role", view.report().role());
                member.put("epoch", view.report().epoch());
                member.put("lsn", view.report().lsn());
            }
        }
        return node.toString();
    }

    /** Compares digests in constant time, so neither the content nor the length of the password leaks. */
    static boolean sameSecret(String offered, String expected) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return MessageDigest.isEqual(sha.digest(offered.getBytes(StandardCharsets.UTF_8)),
                    sha.digest(expected.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /** Stops serving, letting the requests in flight finish for at most {@code grace}. */
    public void close(Duration grace) {
        server.close(grace);
        prober.close();
        pool.close();
    }
}
