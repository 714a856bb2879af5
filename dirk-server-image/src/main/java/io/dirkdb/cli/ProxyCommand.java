package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.proxy.MemberListWatcher;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.server.ClusterConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dirk proxy}: the routing proxy in front of the members of config.json. */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Runs the routing proxy in front of the members of config.json.",
                "Writes go to the primary with the highest epoch, reads round-robin over the serving members;",
                "roles are learnt from heartbeats."})
public final class ProxyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config.json of the cluster (else -Ddirk.configPath, else $DIRK_CONFIG_PATH, else ./config.json)")
    String config;

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "address to listen on (default: loadBalancer.listenHost, else 127.0.0.1)")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "port to listen on, 0 for any free port (default: loadBalancer.listenPort, else 3949)")
    Integer port;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "port of /health/live, /health/ready and /metrics on the same address (default: none)")
    Integer httpPort;

    @Option(names = "--write-wait-ms", paramLabel = "MILLIS", defaultValue = "10000",
            description = "with no primary, how long a write waits for one before failing (default: ${DEFAULT-VALUE})")
    long writeWaitMillis;

    @Option(names = "--heartbeat-interval-ms", paramLabel = "MILLIS", defaultValue = "500",
            description = "how often every member is sent `dirk heartbeat` (default: ${DEFAULT-VALUE})")
    long heartbeatIntervalMillis;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "password sent to members with `dirk auth` and required from clients (else $DIRK_PASSWORD; default: none)")
    Path passwordFile;

    @Option(names = "--connections-per-member", paramLabel = "N", defaultValue = "64",
            description = "member connections in use at once per member; more requests wait (default: ${DEFAULT-VALUE})")
    int connectionsPerMember;

    @Option(names = "--backend-timeout-ms", paramLabel = "MILLIS", defaultValue = "60000",
            description = "bound on connecting to a member, waiting for a free connection and for a reply (default: ${DEFAULT-VALUE})")
    int backendTimeoutMillis;

    @Option(names = "--max-read-lag", paramLabel = "RECORDS", defaultValue = "1000",
            description = "a secondary more log records than this behind the primary gets no reads (default: ${DEFAULT-VALUE})")
    long maxReadLag;

    @Option(names = "--config-reload-interval-ms", paramLabel = "MILLIS", defaultValue = "5000",
            description = "how often config.json is reread to follow added or removed members, 0 never (default: ${DEFAULT-VALUE})")
    long configReloadIntervalMillis;

    @Option(names = "--shutdown-grace-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE})")
    int shutdownGraceSeconds;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
            description = "client connections served at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "largest request accepted (default: ${DEFAULT-VALUE})")
    int maxRequestBytes;

    private final Map<String, String> environment;

    public ProxyCommand() {
        this(System.getenv());
    }

    ProxyCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ProxySettings settings;
        Path configFile;
        try {
            configFile = configFile();
            settings = settings();
        } catch (DirkException | IllegalArgumentException e) {
            err.println("dirk proxy: " + e.getMessage());
            err.flush();
            return ServerCommand.EXIT_CONFIG;
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        RoutingProxy proxy;
        try {
            proxy = RoutingProxy.start(settings, registry);
        } catch (IOException e) {
            err.println("dirk proxy: cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage());
            err.flush();
            return ServerCommand.EXIT_FAILURE;
        }
        HealthHttpServer http = null;
        if (httpPort != null) {
            try {
                http = HealthHttpServer.start(settings.host(), httpPort, registry, proxy::readiness);
            } catch (IOException e) {
                proxy.close();
                err.println("dirk proxy: cannot serve HTTP on " + settings.host() + ":" + httpPort + ": " + e.getMessage());
                err.flush();
                return ServerCommand.EXIT_FAILURE;
            }
        }
        MemberListWatcher watcher = configReloadIntervalMillis > 0
                ? new MemberListWatcher(configFile, ProxyCommand::members, settings.members(), proxy::replaceMembers)
                        .start(configReloadIntervalMillis)
                : null;
        CountDownLatch stopped = new CountDownLatch(1);
        HealthHttpServer httpServer = http;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (watcher != null) {
                watcher.close();
            }
            if (httpServer != null) {
                httpServer.close();
            }
            proxy.close(Duration.ofSeconds(Math.max(0, shutdownGraceSeconds)));
            stopped.countDown();
            System.out.flush();
            System.err.flush();
            // A JVM stopped by a signal exits 143; a clean stop on SIGTERM is a success.
            Runtime.getRuntime().halt(0);
        }, "dirk-proxy-shutdown"));
        out.println("dirk proxy listening on " + settings.host() + ":" + proxy.port() + " for "
                + settings.members().size() + " members" + (http == null ? "" : ", HTTP on port " + http.port()));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private Path configFile() {
        return ClusterConfig.locate(config, environment).orElseThrow(() -> new DirkException(
                "no config.json: give --config (or -Ddirk.configPath, or DIRK_CONFIG_PATH) naming the members"));
    }

    /** The members of a config file. @throws DirkException naming the file and what is wrong */
    static List<MemberAddress> members(Path file) {
        return members(file, ClusterConfig.load(file));
    }

    private static List<MemberAddress> members(Path file, ClusterConfig cluster) {
        List<MemberAddress> members = new ArrayList<>();
        for (ClusterConfig.Instance instance : cluster.instances()) {
            if (instance.port() == 0) {
                throw new DirkException(file + ": instance " + instance.id() + " has port 0: the proxy needs its real port");
            }
            members.add(new MemberAddress(instance.id(), instance.host(), instance.port()));
        }
        return members;
    }

    ProxySettings settings() {
        Path file = configFile();
        ClusterConfig cluster = ClusterConfig.load(file);
        List<MemberAddress> members = members(file, cluster);
        ClusterConfig.LoadBalancer balancer = cluster.loadBalancer();
        String listenHost = host != null ? host
                : balancer != null && balancer.listenHost() != null ? balancer.listenHost() : ProxySettings.DEFAULT_HOST;
        int listenPort = port != null ? port
                : balancer != null && balancer.listenPort() != null ? balancer.listenPort() : ProxySettings.DEFAULT_PORT;
        if (listenPort < 0 || listenPort > 65535) {
            throw new DirkException("--port: expected a port between 0 and 65535, got " + listenPort);
        }
        require(writeWaitMillis >= 0, "--write-wait-ms: expected 0 or more, got " + writeWaitMillis);
        require(heartbeatIntervalMillis >= 1, "--heartbeat-interval-ms: expected at least 1, got " + heartbeatIntervalMillis);
        require(connectionsPerMember >= 1, "--connections-per-member: expected at least 1, got " + connectionsPerMember);
        require(backendTimeoutMillis >= 0, "--backend-timeout-ms: expected 0 or more, got " + backendTimeoutMillis);
        require(maxReadLag >= 0, "--max-read-lag: expected 0 or more, got " + maxReadLag);
        require(configReloadIntervalMillis >= 0, "--config-reload-interval-ms: expected 0 or more, got "
                + configReloadIntervalMillis);
        require(maxConnections >= 1, "--max-connections: expected at least 1, got " + maxConnections);
        require(maxRequestBytes >= 1, "--max-request-bytes: expected at least 1, got " + maxRequestBytes);
        return new ProxySettings(listenHost, listenPort, members, password(), writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLag, maxConnections, maxRequestBytes);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new DirkException(message);
        }
    }

    private String password() {
        if (passwordFile != null) {
            String password;
            try {
                password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new DirkException(passwordFile + ": cannot read the password file (" + e.getMessage() + ")");
            }
            if (password.isEmpty()) {
                throw new DirkException(passwordFile + ": the password file is empty");
            }
            return password;
        }
        String password = environment.get("DIRK_PASSWORD");
        return password == null || password.isEmpty() ? null : password;
    }
}
