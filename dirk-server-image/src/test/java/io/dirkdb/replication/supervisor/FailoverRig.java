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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Members m1 (primary) and m2... (secondaries streaming from it) in processes of their own, so the
 * primary can be SIGKILLed, with the routing proxy and the local supervisor in this JVM: the
 * failover path of {@code dirk demo}, crash included. With sync replication a write is acknowledged
 * once a secondary has it, so after losing the primary a third member is what lets writes go on.
 */
final class FailoverRig implements AutoCloseable {
    final Map<String, ServerProcess> processes = new LinkedHashMap<>();
    final List<MemberAddress> members = new ArrayList<>();
    RoutingProxy proxy;
    LocalSupervisor supervisor;

    private FailoverRig() {}

    static FailoverRig start(Path directory, int memberCount, SupervisorSettings settings) throws Exception {
        Files.createDirectories(directory);
        Path config = directory.resolve("config.json");
        Path logs = directory.resolve("logs");
        FailoverRig rig = new FailoverRig();
        try {
            writeConfig(config, memberCount, 0, settings.mode());
            for (int i = 1; i <= memberCount; i++) {
                String id = "m" + i;
                ServerProcess process = ServerProcess.start(logs, "--config", config.toString(), "--id", id,
                        "--data-dir", directory.resolve(id).toString());
                rig.processes.put(id, process);
                rig.members.add(new MemberAddress(id, "127.0.0.1", process.port()));
                if (i == 1) {
                    // m1's port is known now: the secondaries follow it from the start.
                    writeConfig(config, memberCount, process.port(), settings.mode());
                }
            }
            rig.proxy = RoutingProxy.start(ProxySettings.loopback(rig.members)
                    .withHeartbeatIntervalMillis(settings.heartbeatIntervalMillis()), HealthHttpServer.newRegistry());
            rig.supervisor = new LocalSupervisor(rig.members, settings,
                    new NetworkMemberControl(settings.heartbeatTimeoutMillis(), 2000, null));
            rig.supervisor.start();
            return rig;
        } catch (Exception | Error e) {
            rig.close();
            throw e;
        }
    }

    private static void writeConfig(Path config, int memberCount, int m1Port, ReplicationMode mode) throws IOException {
        StringBuilder instances = new StringBuilder();
        for (int i = 1; i <= memberCount; i++) {
            instances.append(i == 1 ? "" : ",\n").append("""
                    {"id": "m%d", "role": "%s", "host": "127.0.0.1", "port": %d}"""
                    .formatted(i, i == 1 ? "MASTER" : "REPLICA", i == 1 ? m1Port : 0));
        }
        Files.writeString(config, """
                {"configVersion": 1,
                 "instances": [%s],
                 "replication": {"mode": "%s"}}
                """.formatted(instances, mode.wireName()));
    }

    ServerProcess process(String id) {
        return processes.get(id);
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
        if (supervisor != null) {
            supervisor.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        for (ServerProcess process : processes.values()) {
            process.close();
        }
    }
}
