package io.dirkdb.proxy;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.protocol.RequestScanner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Real member servers on 127.0.0.2, 127.0.0.3, ... with {@link RecordingDatabase}s behind them. */
public final class LoopbackCluster implements AutoCloseable {
    public final Map<String, MemberServer> servers = new LinkedHashMap<>();
    final Map<String, RecordingDatabase> databases = new LinkedHashMap<>();
    public final List<MemberAddress> addresses = new ArrayList<>();

    /** Starts members m1..mN: m1 primary, the others secondaries. */
    public static LoopbackCluster start(int members, String password, String... knownDatabases) {
        LoopbackCluster cluster = new LoopbackCluster();
        for (int i = 1; i <= members; i++) {
            cluster.add("m" + i, i == 1 ? Role.PRIMARY : Role.SECONDARY, password, Set.of(knownDatabases));
        }
        return cluster;
    }

    private void add(String id, Role role, String password, Set<String> knownDatabases) {
        String host = "127.0.0." + (addresses.size() + 2);
        RecordingDatabase database = new RecordingDatabase(id, knownDatabases);
        Member member = Member.start(id, database, null, role);
        try {
            MemberServer server = MemberServer.start(member, new ServerSettings(host, 0, password, 64,
                    RequestScanner.DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(1)));
            servers.put(id, server);
            databases.put(id, database);
            addresses.add(new MemberAddress(id, host, server.port()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public MemberAddress address(String id) {
        return addresses.stream().filter(a -> a.id().equals(id)).findFirst().orElseThrow();
    }

    public RecordingDatabase database(String id) {
        return databases.get(id);
    }

    /** Sends a control statement straight to a member, as the operator does. */
    public Reply control(String id, String statement, String password) throws IOException {
        MemberAddress address = address(id);
        try (DirkConnection connection = DirkConnection.open(address.host(), address.port())) {
            if (password != null) {
                connection.authenticate(password);
            }
            return connection.execute(statement);
        }
    }

    public void stop(String id) {
        servers.get(id).close();
    }

    @Override
    public void close() {
        servers.values().forEach(MemberServer::close);
    }
}
