package io.dirkdb.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.engine.Result;
import io.dirkdb.http.HealthHttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.RequestScanner;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * In-process members with real engines on their own data directories, each on its own loopback
 * address (127.0.0.2, .3, ...), replicating to each other as `dirk server` members do.
 */
final class ReplicaSet implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    record Node(String id, String host, int port, Path directory, MemberServer server, Replicator replicator,
                EngineDatabase database, Member member, PrometheusMeterRegistry registry) {}

    private final Path root;
    private final ReplicationSettings settings;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, String> hosts = new LinkedHashMap<>();

    private long segmentBytes; // 0: the default
    private io.dirkdb.server.Credentials credentials; // null: the peer password alone, for every role

    /** Members started from now on accept these passwords (one per role, maybe previous ones of a rotation). */
    ReplicaSet withCredentials(io.dirkdb.server.Credentials credentials) {
        this.credentials = credentials;
        return this;
    }

    /** The password this set's own connections (SQL, heartbeats, contents) give. */
    private String ownPassword() {
        return credentials != null ? credentials.administrationPassword() : settings.peerPassword();
    }

    ReplicaSet(Path root, ReplicationSettings settings) {
        this.root = root;
        this.settings = settings;
    }

    /** Members started from now on cut their log into segments of {@code bytes} (to test retention). */
    ReplicaSet withSegmentBytes(long bytes) {
        this.segmentBytes = bytes;
        return this;
    }

    Node startPrimary(String id) {
        return start(id, Role.PRIMARY, null, 0);
    }

    Node startSecondary(String id, String primaryId) {
        Node primary = nodes.get(primaryId);
        return start(id, Role.SECONDARY, primary, 0);
    }

    /** Starts (or restarts, on the same port) member {@code id} on its data directory. */
    Node start(String id, Role role, Node primary, int port) {
        return start(id, role, primary, port, Member.Bootstrap.ALONE);
    }

    /** The loopback address member {@code id} has (or will have). */
    String host(String id) {
        return hosts.computeIfAbsent(id, k -> "127.0.0." + (hosts.size() + 2));
    }

    /** As {@link #start(String, Role, Node, int)}, with the peers an empty primary asks before it starts a history. */
    Node start(String id, Role role, Node primary, int port, Member.Bootstrap bootstrap) {
        String host = host(id);
        Path directory = root.resolve(id);
        EngineDatabase database = EngineDatabase.open(directory, segmentBytes);
        Member member;
        try {
            member = Member.start(id, database, directory, role, bootstrap);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        if (primary != null && member.state().primaryHost() == null) {
            member.follow(primary.host(), primary.port());
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        // Each member streams from its own address, as a member listening on one address does.
        Replicator replicator = Replicator.attach(member, database.engine(), settings.withSourceHost(host), registry);
        try {
            ServerSettings serverSettings = new ServerSettings(host, port, settings.peerPassword(), 64,
                    RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1));
            if (credentials != null) {
                serverSettings = serverSettings.withCredentials(credentials);
            }
            MemberServer server = MemberServer.start(member, serverSettings, registry);
            Node node = new Node(id, host, server.port(), directory, server, replicator, database, member, registry);
            nodes.put(id, node);
            return node;
        } catch (IOException e) {
            member.close();
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts a stopped member on its old address; its role and primary come from its member.json. */
    Node restart(String id) {
        Node old = nodes.get(id);
        return start(id, Role.SECONDARY, null, old.port());
    }

    Node node(String id) {
        return nodes.get(id);
    }

    void stop(String id) {
        nodes.get(id).server().close();
    }

    DirkConnection connect(String id) throws IOException {
        Node node = nodes.get(id);
        DirkConnection connection = DirkConnection.open(node.host(), node.port());
        if (ownPassword() != null) {
            connection.authenticate(ownPassword());
        }
        return connection;
    }

    /** Runs one statement on a member; returns the reply (errors included). */
    Reply execute(String id, String statement) throws IOException {
        try (DirkConnection connection = connect(id)) {
            return connection.execute(statement);
        }
    }

    JsonNode heartbeat(String id) throws IOException {
        return JSON.readTree(execute(id, "dirk heartbeat").messageText());
    }

    /** The rows of {@code query} in {@code database} on member {@code id}, for comparing members. */
    List<List<Object>> rows(String id, String database, String query) throws IOException {
        try (DirkConnection connection = connect(id)) {
            Reply use = connection.execute("ampiasao " + database);
            if (use.isError()) {
                throw new IllegalStateException(id + ": " + use.errorMessage());
            }
            Reply reply = connection.execute(query);
            if (reply.isError()) {
                throw new IllegalStateException(id + ": " + reply.errorMessage());
            }
            return ((Result.Relation) reply.result()).rows();
        }
    }

    /** Every database, table and row of member {@code id}, read through SELECTs, to compare members. */
    Map<String, List<List<Object>>> contents(String id) throws IOException {
        return contents(nodes.get(id).host(), nodes.get(id).port());
    }

    /** The same for any member, e.g. one running in another process. */
    Map<String, List<List<Object>>> contents(String host, int port) throws IOException {
        Map<String, List<List<Object>>> contents = new java.util.TreeMap<>();
        try (DirkConnection connection = DirkConnection.open(host, port)) {
            if (ownPassword() != null) {
                connection.authenticate(ownPassword());
            }
            for (String database : names(connection.execute("asehoy ny tahiry"))) {
                checked(connection.execute("ampiasao " + database));
                for (String table : names(connection.execute("asehoy ny tabilao"))) {
                    Reply rows = checked(connection.execute("alaivo * ao@ " + table));
                    contents.put(database + "." + table, ((Result.Relation) rows.result()).rows());
                }
            }
        }
        return contents;
    }

    private static List<String> names(Reply reply) {
        return ((Result.Relation) checked(reply).result()).rows().stream().map(row -> (String) row.get(0)).sorted().toList();
    }

    private static Reply checked(Reply reply) {
        if (reply.isError()) {
            throw new IllegalStateException(reply.errorMessage());
        }
        return reply;
    }

    @Override
    public void close() {
        for (Node node : nodes.values()) {
            node.server().close();
        }
    }
}
