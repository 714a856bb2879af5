package io.dirkdb.replication.supervisor;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.testing.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Two members in processes of their own (so the primary can be SIGKILLed), with the routing proxy
 * and the local supervisor in this JVM: the failover path of {@code dirk demo}, crash included.
 */
final class FailoverRig implements AutoCloseable {
    final ServerProcess m1;
    final ServerProcess m2;
    final RoutingProxy proxy;
    final LocalSupervisor supervisor;
    private final List<MemberAddress> members;

    private FailoverRig(ServerProcess m1, ServerProcess m2, RoutingProxy proxy, LocalSupervisor supervisor,
                        List<MemberAddress> members) {
        this.m1 = m1;
        this.m2 = m2;
        this.proxy = proxy;
        this.supervisor = supervisor;
        this.members = members;
    }

    static FailoverRig start(Path directory, SupervisorSettings settings) throws Exception {
        Files.createDirectories(directory);
        Path config = directory.resolve("config.json");
        writeConfig(config, 0, settings.mode());
        Path logs = directory.resolve("logs");
        ServerProcess m1 = null;
        ServerProcess m2 = null;
        RoutingProxy proxy = null;
        try {
            m1 = ServerProcess.start(logs, memberArgs(directory, config, "m1"));
            writeConfig(config, m1.port(), settings.mode()); // m1's port is known now: m2 follows it from the start
            m2 = ServerProcess.start(logs, memberArgs(directory, config, "m2"));
            List<MemberAddress> members = List.of(new MemberAddress("m1", "127.0.0.1", m1.port()),
                    new MemberAddress("m2", "127.0.0.1", m2.port()));
            proxy = RoutingProxy.start(ProxySettings.loopback(members)
                    .withHeartbeatIntervalMillis(settings.heartbeatIntervalMillis()), HealthHttpServer.newRegistry());
            LocalSupervisor supervisor = new LocalSupervisor(members, settings,
                    new NetworkMemberControl(settings.heartbeatTimeoutMillis(), 2000, null));
            supervisor.start();
            return new FailoverRig(m1, m2, proxy, supervisor, members);
        } catch (Exception | Error e) {
            if (proxy != null) {
                proxy.close();
            }
            if (m2 != null) {
                m2.close();
            }
            if (m1 != null) {
                m1.close();
            }
            throw e;
        }
    }

    private static void writeConfig(Path config, int m1Port, ReplicationMode mode) throws IOException {
        Files.writeString(config, """
                {"configVersion": 1,
                 "instances": [
                   {"id": "m1", "role": "MASTER", "host": "127.0.0.1", "port": %d},
                   {"id": "m2", "role": "REPLICA", "host": "127.0.0.1", "port": 0}],
                 "replication": {"mode": "%s"}}
                """.formatted(m1Port, mode.wireName()));
    }

    private static String[] memberArgs(Path directory, Path config, String id) {
        return new String[] {"--config", config.toString(), "--id", id, "--data-dir", directory.resolve(id).toString()};
    }

    MemberAddress address(String id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
    }

    HeartbeatReport heartbeat(String id) throws IOException {
        try (HeartbeatProbe probe = new HeartbeatProbe(address(id), 2000)) {
            return probe.probe();
        }
    }

    @Override
    public void close() throws Exception {
        supervisor.close();
        proxy.close();
        m1.close();
        m2.close();
    }
}
