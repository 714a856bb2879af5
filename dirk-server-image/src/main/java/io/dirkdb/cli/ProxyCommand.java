package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.proxy.RelayTls;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.proxy.MemberListWatcher;
import io.dirkdb.proxy.ProxySettings;
import io.dirkdb.proxy.RoutingProxy;
import io.dirkdb.server.ClusterConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    HttpPortOption http;

    @Option(names = "--write-wait-ms", paramLabel = "MILLIS", defaultValue = "10000",
            description = "with no primary, how long a write waits for one before failing (default: ${DEFAULT-VALUE})")
    long writeWaitMillis;

    @Option(names = "--heartbeat-interval-ms", paramLabel = "MILLIS", defaultValue = "500",
            description = "how often every member is sent `dirk heartbeat` (default: ${DEFAULT-VALUE})")
    long heartbeatIntervalMillis;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "password sent to members with `dirk auth` and required from clients (else $DIRK_PASSWORD; default: none)")
    Path passwordFile;

    @Option(names = "--member-password-file", paramLabel = "FILE",
            description = "password sent to members with `dirk auth` when clients give another one or none (as `dirk demo` "
                    + "does on loopback; default: the --password-file one)")
    Path memberPasswordFile;

    @Option(names = "--previous-password-file", paramLabel = "FILE",
            description = "during a rotation, file holding the previous application password: accepted from clients, "
                    + "and tried toward a member that refuses the current one (else $DIRK_PREVIOUS_PASSWORD)")
    Path previousPasswordFile;

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

    @Mixin
    RelayOptions limits;

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
        RelayTls tls;
        String memberPassword;
        try {
            configFile = configFile();
            settings = settings();
            tls = limits.tls("dirk proxy");
            memberPassword = memberPasswordFile == null ? settings.password()
                    : Passwords.fromFileOrEnvironment(memberPasswordFile, Map.of());
        } catch (DirkException | IllegalArgumentException e) {
            return ExitCodes.fail(err, "dirk proxy: " + e.getMessage(), ExitCodes.CONFIG);
        }
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        RoutingProxy proxy;
        try {
            proxy = RoutingProxy.start(settings, tls, registry, memberPassword);
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk proxy: cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage(), ExitCodes.FAILURE);
        }
        HealthHttpServer httpServer;
        try {
            httpServer = http.startIfGiven(settings.host(), registry, proxy::readiness);
        } catch (IOException e) {
            proxy.close();
            return ExitCodes.fail(err, http.cannotServe("dirk proxy", settings.host(), e), ExitCodes.FAILURE);
        }
        MemberListWatcher watcher = configReloadIntervalMillis > 0
                ? new MemberListWatcher(configFile, ProxyCommand::members, settings.members(), proxy::replaceMembers)
                        .start(configReloadIntervalMillis)
                : null;
        CountDownLatch stopped = new CountDownLatch(1);
        Shutdown.onSignal("dirk-proxy-shutdown", () -> {
            if (watcher != null) {
                watcher.close();
            }
            if (httpServer != null) {
                httpServer.close();
            }
            proxy.close(limits.shutdownGrace());
            stopped.countDown();
            return ExitCodes.OK;
        });
        out.println("dirk proxy listening on " + settings.host() + ":" + proxy.port() + " for "
                + settings.members().size() + " members"
                + (httpServer == null ? "" : ", HTTP on port " + httpServer.port()));
        out.flush();
        return Shutdown.runUntil(stopped::await);
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
        OptionChecks.port("--port", listenPort);
        OptionChecks.notNegative("--write-wait-ms", writeWaitMillis);
        OptionChecks.atLeastOne("--heartbeat-interval-ms", heartbeatIntervalMillis);
        OptionChecks.atLeastOne("--connections-per-member", connectionsPerMember);
        OptionChecks.notNegative("--backend-timeout-ms", backendTimeoutMillis);
        OptionChecks.notNegative("--max-read-lag", maxReadLag);
        OptionChecks.notNegative("--config-reload-interval-ms", configReloadIntervalMillis);
        OptionChecks.atLeastOne("--max-connections", limits.maxConnections);
        OptionChecks.atLeastOne("--max-request-bytes", limits.maxRequestBytes);
        String password = Passwords.fromFileOrEnvironment(passwordFile, environment);
        return new ProxySettings(listenHost, listenPort, members, password, writeWaitMillis, heartbeatIntervalMillis,
                connectionsPerMember, backendTimeoutMillis, maxReadLag, limits.maxConnections, limits.maxRequestBytes,
                limits.timeouts(), Passwords.fromFileOrEnvironment(previousPasswordFile, environment,
                        Passwords.PREVIOUS_ENVIRONMENT_VARIABLE));
    }
}
