package io.dirkdb.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces made by a fault run, one per member and one for the control node and the
 * proxy, joined by a bridge in a hub namespace: nothing is added to the machine's own network.
 * Every namespace has an address on two subnets, chosen here and used only inside them: the data
 * network 10.77.0.0/24 (clients, proxy, sampler) and the control network 10.77.1.0/24 (the
 * supervisor, and members among themselves). A partition is a blackhole route in the cut-off
 * member's namespace towards each address on the other side: what the other side sends arrives but
 * gets no answer (its connections and requests time out, as across a real partition), while the
 * member's own connection attempts fail at once. This kernel has no tc actions or nftables for a
 * silent drop both ways.
 */
final class Namespaces implements AutoCloseable {
    static final String CONTROL = "ctl";
    private static final String DATA_NET = "10.77.0.";
    private static final String CONTROL_NET = "10.77.1.";

    private final String prefix;
    private final List<String> names = new ArrayList<>();
    private final Set<String> blackholes = new LinkedHashSet<>(); // "<namespace> <address>"
    private final Thread cleanup = new Thread(this::deleteAll, "dirk-faults-netns-cleanup");

    private Namespaces(String prefix) {
        this.prefix = prefix;
    }

    /** Why namespaces cannot be made here, or null when they can (checked by making and deleting one). */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root (`ip netns add`); this runs as " + System.getProperty("user.name");
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))
                && !Files.isExecutable(Path.of("/usr/bin/ip"))) {
            return "the `ip` command (iproute2) is missing";
        }
        String probe = "dirkfprobe" + ThreadLocalRandom.current().nextInt(1000, 9999);
        try {
            run("ip", "netns", "add", probe);
            run("ip", "-n", probe, "link", "add", "br0", "type", "bridge");
        } catch (IOException e) {
            return "cannot make a network namespace with a bridge: " + e.getMessage();
        } finally {
            try {
                run("ip", "netns", "del", probe);
            } catch (IOException e) {
                // it was not made
            }
        }
        return null;
    }

    /** Makes the hub, the control namespace and one namespace per member id. */
    static Namespaces create(List<String> memberIds) throws IOException {
        Namespaces ns = new Namespaces("dirkf" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff)));
        Runtime.getRuntime().addShutdownHook(ns.cleanup);
        try {
            String hub = ns.name("hub");
            ns.add(hub);
            run("ip", "-n", hub, "link", "add", "br0", "type", "bridge");
            run("ip", "-n", hub, "link", "set", "br0", "up");
            ns.join(CONTROL, 2);
            for (int i = 0; i < memberIds.size(); i++) {
                ns.join(memberIds.get(i), 11 + i);
            }
            return ns;
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    private void join(String node, int host) throws IOException {
        String namespace = name(node);
        add(namespace);
        String hostSide = namespace + "h";
        // Made inside the hub: nothing, not even for a moment, in the machine's own namespace.
        run("ip", "-n", name("hub"), "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns",
                namespace);
        run("ip", "-n", name("hub"), "link", "set", hostSide, "master", "br0", "up");
        run("ip", "-n", namespace, "link", "set", "lo", "up");
        run("ip", "-n", namespace, "addr", "add", DATA_NET + host + "/24", "dev", "eth0");
        run("ip", "-n", namespace, "addr", "add", CONTROL_NET + host + "/24", "dev", "eth0");
        run("ip", "-n", namespace, "link", "set", "eth0", "up");
    }

    private void add(String namespace) throws IOException {
        run("ip", "netns", "add", namespace);
        names.add(namespace);
    }

    /** The namespace of a node (a member id, or {@link #CONTROL}). */
    String name(String node) {
        return prefix + node;
    }

    static String dataAddress(int index) {
        return DATA_NET + (11 + index);
    }

    static String controlAddress(int index) {
        return CONTROL_NET + (11 + index);
    }

    /** The command prefix that runs a program inside a node's namespace. */
    List<String> exec(String node) {
        return List.of("ip", "netns", "exec", name(node));
    }

    /** Member {@code a} can no longer answer or reach member {@code b}, on either network. */
    void cutMembers(String a, String b, int bIndex) throws IOException {
        blackhole(a, dataAddress(bIndex));
        blackhole(a, controlAddress(bIndex));
    }

    /** The member can no longer answer or reach the supervisor (the control node's control address). */
    void cutFromSupervisor(String member) throws IOException {
        blackhole(member, CONTROL_NET + 2);
    }

    /** The member can no longer answer or reach the clients, the proxy and the sampler (data network). */
    void cutFromClients(String member) throws IOException {
        blackhole(member, DATA_NET + 2);
    }

    private void blackhole(String node, String address) throws IOException {
        if (blackholes.add(name(node) + " " + address)) {
            run("ip", "-n", name(node), "route", "add", "blackhole", address + "/32");
        }
    }

    /** Removes every partition. */
    void heal() throws IOException {
        for (String entry : List.copyOf(blackholes)) {
            String[] parts = entry.split(" ");
            run("ip", "-n", parts[0], "route", "del", "blackhole", parts[1] + "/32");
            blackholes.remove(entry);
        }
    }

    static void run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted running " + String.join(" ", command));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
        }
    }

    private synchronized void deleteAll() {
        for (int i = names.size() - 1; i >= 0; i--) {
            try {
                run("ip", "netns", "del", names.get(i)); // its veth goes with it
            } catch (IOException e) {
                System.err.println("could not delete network namespace " + names.get(i) + ": " + e.getMessage());
            }
        }
        names.clear();
    }

    @Override
    public void close() {
        deleteAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
