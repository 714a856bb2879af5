package io.dirkdb.faults;

import io.dirkdb.replication.ReplicationMode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real processes of a fault run: members ({@code dirk server}, m1 the first primary), the
 * routing proxy ({@code dirk proxy}) and the {@link ControlNode} (supervisor, clients, sampler),
 * each in a network namespace of its own when {@link Namespaces} can be made, else all on
 * 127.0.0.1 (where partitions cannot be made). Faults are applied here; the history is read back
 * from the control node's file at the end.
 */
final class FaultCluster implements AutoCloseable {
    private static final int MEMBER_PORT = 3948;
    private static final int PROXY_PORT = 3949;

    private final Path directory;
    private final List<String> ids = new ArrayList<>();
    private final Map<String, ChildProcess> members = new LinkedHashMap<>();
    private final List<Path> mounts = new ArrayList<>();
    private Namespaces namespaces;
    private ChildProcess proxy;
    private ChildProcess control;
    private volatile String primary;
    private volatile long primaryEpoch;
    private final CountDownLatch finished = new CountDownLatch(1);

    private FaultCluster(Path directory) {
        this.directory = directory;
    }

    /**
     * @param inNamespaces put every process in a network namespace of its own (needs root)
     * @param tmpfsBytes   when positive, every member's data directory is a tmpfs of that size (needs root)
     */
    static FaultCluster start(Path directory, int memberCount, ReplicationMode mode, boolean inNamespaces,
                              int proxyClients, int directClients, long tmpfsBytes)
            throws Exception {
        FaultCluster cluster = new FaultCluster(directory);
        try {
            cluster.startAll(memberCount, mode, inNamespaces, proxyClients, directClients, tmpfsBytes);
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void startAll(int memberCount, ReplicationMode mode, boolean inNamespaces, int proxyClients,
                          int directClients, long tmpfsBytes) throws Exception {
        Files.createDirectories(directory.resolve("logs"));
        for (int i = 1; i <= memberCount; i++) {
            ids.add("m" + i);
        }
        if (inNamespaces) {
            namespaces = Namespaces.create(ids);
        }
        List<String> dataAddresses = new ArrayList<>();
        List<String> controlAddresses = new ArrayList<>();
        for (int i = 0; i < memberCount; i++) {
            if (inNamespaces) {
                dataAddresses.add(Namespaces.dataAddress(i) + ":" + MEMBER_PORT);
                controlAddresses.add(Namespaces.controlAddress(i) + ":" + MEMBER_PORT);
            } else {
                String address = "127.0.0.1:" + freePort();
                dataAddresses.add(address);
                controlAddresses.add(address);
            }
        }
        Path config = directory.resolve("config.json");
        StringBuilder instances = new StringBuilder();
        for (int i = 0; i < memberCount; i++) {
            String[] hostPort = dataAddresses.get(i).split(":");
            instances.append(i == 0 ? "" : ",\n").append("""
                    {"id": "%s", "role": "%s", "host": "%s", "port": %s}"""
                    .formatted(ids.get(i), i == 0 ? "MASTER" : "REPLICA", hostPort[0], hostPort[1]));
        }
        Files.writeString(config, """
                {"configVersion": 1,
                 "instances": [%s],
                 "replication": {"mode": "%s"}}
                """.formatted(instances, mode.wireName()));

        for (int i = 0; i < memberCount; i++) {
            String id = ids.get(i);
            // The supervisor knows the members by their control addresses and repoints them there, and members
            // stream from each other there: each member's config.json lists the others at those (dirk follow names
            // only members of its configuration, and a primary takes a member's stream only from its address).
            Path memberConfig = config;
            if (inNamespaces) {
                StringBuilder withControl = new StringBuilder();
                for (int j = 0; j < memberCount; j++) {
                    String[] hostPort = (j == i ? dataAddresses : controlAddresses).get(j).split(":");
                    withControl.append(j == 0 ? "" : ",\n").append("""
                            {"id": "%s", "role": "%s", "host": "%s", "port": %s}"""
                            .formatted(ids.get(j), j == 0 ? "MASTER" : "REPLICA", hostPort[0], hostPort[1]));
                }
                memberConfig = directory.resolve("config-" + id + ".json");
                Files.writeString(memberConfig, """
                        {"configVersion": 1,
                         "instances": [%s],
                         "replication": {"mode": "%s"}}
                        """.formatted(withControl, mode.wireName()));
            }
            Path data = directory.resolve(id);
            Files.createDirectories(data);
            if (tmpfsBytes > 0) {
                Namespaces.run("mount", "-t", "tmpfs", "-o", "size=" + tmpfsBytes, "tmpfs", data.toString());
                mounts.add(data);
            }
            List<String> command = new ArrayList<>(prefix(id));
            command.addAll(java("io.dirkdb.cli.Dirk"));
            command.addAll(List.of("server", "--config", memberConfig.toString(), "--id", id,
                    "--host", inNamespaces ? "0.0.0.0" : "127.0.0.1", // 0.0.0.0 inside its namespace: its two addresses
                    "--port", dataAddresses.get(i).split(":")[1], "--data-dir", data.toString(),
                    "--sync-timeout-ms", "2000"));
            ChildProcess member = new ChildProcess(id, command, directory.resolve("logs/" + id + ".log"), line -> { });
            members.put(id, member);
            member.start("listening on", 90_000);
        }

        int proxyPort = inNamespaces ? PROXY_PORT : freePort();
        List<String> proxyCommand = new ArrayList<>(prefix(Namespaces.CONTROL));
        proxyCommand.addAll(java("io.dirkdb.cli.Dirk"));
        proxyCommand.addAll(List.of("proxy", "--config", config.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(proxyPort), "--heartbeat-interval-ms", "100", "--write-wait-ms", "5000",
                "--backend-timeout-ms", "5000", "--config-reload-interval-ms", "0"));
        proxy = new ChildProcess("proxy", proxyCommand, directory.resolve("logs/proxy.log"), line -> { });
        proxy.start("listening on", 90_000);

        StringBuilder memberSpec = new StringBuilder();
        for (int i = 0; i < memberCount; i++) {
            memberSpec.append(i == 0 ? "" : ",").append(ids.get(i)).append('@').append(dataAddresses.get(i))
                    .append('@').append(controlAddresses.get(i));
        }
        List<String> controlCommand = new ArrayList<>(prefix(Namespaces.CONTROL));
        controlCommand.addAll(java(ControlNode.class.getName()));
        controlCommand.addAll(List.of("history=" + historyFile(), "mode=" + mode.wireName(),
                "members=" + memberSpec, "proxy=127.0.0.1:" + proxyPort, "proxyClients=" + proxyClients,
                "directClients=" + directClients));
        control = new ChildProcess("control", controlCommand, directory.resolve("logs/control.log"), this::onControlLine);
        control.start("READY", 120_000);
    }

    private void onControlLine(String line) {
        if (line.startsWith("PRIMARY ")) {
            String[] parts = line.split(" ");
            primary = parts[1];
            primaryEpoch = Long.parseLong(parts[2]);
        } else if (line.equals("FINISHED")) {
            finished.countDown();
        }
    }

    private List<String> prefix(String node) {
        return namespaces == null ? List.of() : namespaces.exec(node);
    }

    private static List<String> java(String mainClass) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        String logging = System.getProperty("java.util.logging.config.file");
        if (logging != null) {
            command.add("-Djava.util.logging.config.file=" + logging);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        return command;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    Path historyFile() {
        return directory.resolve("history.jsonl");
    }

    boolean partitionable() {
        return namespaces != null;
    }

    List<String> memberIds() {
        return List.copyOf(ids);
    }

    /** The newest primary the control node has sampled, or null before the first one. */
    String primary() {
        return primary;
    }

    long primaryEpoch() {
        return primaryEpoch;
    }

    ChildProcess member(String id) {
        return members.get(id);
    }

    ChildProcess proxy() {
        return proxy;
    }

    /** Starts again a member or the proxy that was killed, with the same command (same data directory and port). */
    void restart(ChildProcess process) throws Exception {
        process.kill();
        process.start("listening on", 90_000);
    }

    /** Fills a member's tmpfs data directory with a file until the disk is full. */
    void fillDisk(String member) throws IOException {
        Path filler = directory.resolve(member).resolve("zz-filler");
        if (!mounts.contains(directory.resolve(member))) {
            throw new IllegalStateException(member + "'s data directory is not a tmpfs: the plan needs tmpfsBytes");
        }
        byte[] block = new byte[64 << 10];
        try (var out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            // no space left on the device: the point of the fault
        }
    }

    /**
     * Every fsync of {@code member}'s log sleeps {@code millis} first (0: no more), through the storage's
     * test-only seam: the file {@code <data directory>.slow-fsync} its processes read (DIRK_TEST_SLOW_FSYNC=1).
     */
    void slowFsync(String member, long millis) throws IOException {
        Path delay = directory.resolve(member + ".slow-fsync");
        if (millis <= 0) {
            Files.deleteIfExists(delay);
        } else {
            Files.writeString(delay, Long.toString(millis));
        }
    }

    /** Removes what {@link #fillDisk(String)} wrote. */
    void freeDisk(String member) throws IOException {
        Files.deleteIfExists(directory.resolve(member).resolve("zz-filler"));
    }

    boolean onTmpfs() {
        return !mounts.isEmpty();
    }

    int index(String member) {
        return ids.indexOf(member);
    }

    void cutMembers(String a, String b) throws IOException {
        namespaces.cutMembers(a, b, index(b));
    }

    void cutFromSupervisor(String member) throws IOException {
        namespaces.cutFromSupervisor(member);
    }

    void cutFromClients(String member) throws IOException {
        namespaces.cutFromClients(member);
    }

    void heal() throws IOException {
        if (namespaces != null) {
            namespaces.heal();
        }
    }

    /** Writes a fault into the history, at the control node's time. */
    void note(String fault) throws IOException {
        control.send("fault " + fault);
    }

    /**
     * Ends the run: every process alive and continued, partitions healed, writes stopped, members
     * given {@code convergeMillis} to converge; returns the history.
     */
    List<History.Event> finish(long convergeMillis) throws Exception {
        heal();
        for (ChildProcess process : all()) {
            if (process.paused()) {
                process.resume();
            }
            if (!process.alive()) {
                // Every fault restarts what it killed: a process found dead here died on its own.
                String why = process.name() + " exited on its own (exit code " + process.exitCode() + ")";
                System.out.println("[dirk faults]   " + why + "; restarted");
                note(why);
                restart(process);
            }
        }
        control.send("finish " + convergeMillis);
        if (!finished.await(convergeMillis + 60_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the control node did not finish; its log:\n" + control.tail());
        }
        control.waitFor(10_000);
        return History.read(historyFile());
    }

    private List<ChildProcess> all() {
        List<ChildProcess> all = new ArrayList<>(members.values());
        all.add(proxy);
        return all;
    }

    /** The logs of every process, for a failure message. */
    String logs() {
        StringBuilder text = new StringBuilder();
        List<ChildProcess> all = new ArrayList<>(all());
        all.add(control);
        for (ChildProcess p : all) {
            if (p == null) {
                continue;
            }
            try {
                text.append("\n--- ").append(p.name()).append(" ---\n").append(p.tail());
            } catch (IOException e) {
                text.append("\n--- ").append(p.name()).append(": ").append(e.getMessage());
            }
        }
        return text.toString();
    }

    @Override
    public void close() throws Exception {
        if (control != null) {
            control.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        for (ChildProcess member : members.values()) {
            member.close();
        }
        for (Path mount : mounts) {
            try {
                Namespaces.run("umount", mount.toString());
            } catch (IOException e) {
                System.err.println("could not unmount " + mount + ": " + e.getMessage());
            }
        }
        if (namespaces != null) {
            namespaces.close();
        }
    }
}
