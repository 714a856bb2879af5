package io.dirkdb.cli;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.http.HealthHttpServer;
import io.dirkdb.replication.ReplicationMode;
import io.dirkdb.replication.ReplicationSettings;
import io.dirkdb.replication.Replicator;
import io.dirkdb.server.ClusterConfig;
import io.dirkdb.server.Credentials;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import io.dirkdb.engine.MemoryLimit;
import io.dirkdb.engine.StatementLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dirk server}: runs one member on a data directory until SIGTERM. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Runs a DirkDB member (a standalone primary without a config file).",
                "Flags override config.json; SIGTERM stops it cleanly (exit 0)."})
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "config.json of the cluster (else -Ddirk.configPath, else $DIRK_CONFIG_PATH, else ./config.json if present)")
    String config;

    @Option(names = "--id", paramLabel = "ID",
            description = "this member's instance id in the config (else -Ddirk.instanceId, else $DIRK_INSTANCE_ID)")
    String id;

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "address to listen on (default: the instance's host, else 127.0.0.1)")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "port to listen on, 0 for any free port (default: the instance's port, else 3948)")
    Integer port;

    @Mixin
    HttpPortOption http;

    @Mixin
    TlsOptions.Listener tls = new TlsOptions.Listener();

    @Option(names = "--replication-mode", paramLabel = "MODE",
            description = "async: acknowledge writes after the primary's fsync; sync: after a secondary has them durably too "
                    + "(default: config.json replication.mode, else async)")
    String replicationMode;

    @Option(names = "--sync-timeout-ms", paramLabel = "MILLIS", defaultValue = "5000",
            description = "in sync mode, how long a write waits for a secondary before it fails (default: ${DEFAULT-VALUE})")
    long syncTimeoutMillis;

    @Option(names = "--primary-lease-ms", paramLabel = "MILLIS", defaultValue = "2000",
            description = "as primary, acknowledge writes only while the supervisor or a secondary was heard from within this "
                    + "time; 0 turns it off; a member without peers in config.json has no lease (default: ${DEFAULT-VALUE})")
    long primaryLeaseMillis;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "data directory (default: the instance's dataDirectory)")
    Path dataDirectory;

    @Option(names = "--history-id", paramLabel = "UUID",
            description = "the cluster's history id (else $DIRK_HISTORY_ID): a new history started here takes it, and a member "
                    + "whose data belongs to another history refuses to start (default: a random id, made once by the first primary)")
    String historyId;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "file holding the application password: SQL after `dirk auth` (else $DIRK_PASSWORD; default: no "
                    + "authentication). Alone, without the two below, it grants every role (single-password setup)")
    Path passwordFile;

    @Option(names = "--replication-password-file", paramLabel = "FILE",
            description = "file holding the replication password: dirk stream and dirk snapshot, also given by this member "
                    + "to the member it follows or copies (else $DIRK_REPLICATION_PASSWORD); set with the other two")
    Path replicationPasswordFile;

    @Option(names = "--admin-password-file", paramLabel = "FILE",
            description = "file holding the administration password: promote, fence, follow, resync, lease renewal and "
                    + "everything else (else $DIRK_ADMIN_PASSWORD); set with the other two")
    Path adminPasswordFile;

    @Option(names = "--previous-password-file", paramLabel = "FILE",
            description = "during a rotation, file holding the previous application password, accepted as the current "
                    + "one until removed (else $DIRK_PREVIOUS_PASSWORD)")
    Path previousPasswordFile;

    @Option(names = "--previous-replication-password-file", paramLabel = "FILE",
            description = "during a rotation, file holding the previous replication password: accepted, and tried toward "
                    + "a member that refuses the current one (else $DIRK_PREVIOUS_REPLICATION_PASSWORD)")
    Path previousReplicationPasswordFile;

    @Option(names = "--previous-admin-password-file", paramLabel = "FILE",
            description = "during a rotation, file holding the previous administration password, accepted as the current "
                    + "one (else $DIRK_PREVIOUS_ADMIN_PASSWORD)")
    Path previousAdminPasswordFile;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "256",
            description = "client connections served at once; more are refused (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "largest request accepted; a larger one is answered with an error (default: ${DEFAULT-VALUE})")
    int maxRequestBytes;

    @Option(names = "--reserved-connections", paramLabel = "N", defaultValue = "8",
            description = "slots past --max-connections for heartbeats, replication and control requests "
                    + "(default: ${DEFAULT-VALUE})")
    int reservedConnections;

    @Option(names = "--max-unauthenticated-per-address", paramLabel = "N", defaultValue = "0",
            description = "connections from one client address that may wait to authenticate on the slots past "
                    + "--max-connections and hold them against newcomers from other addresses; once that room is "
                    + "full, a newcomer from another address takes the slot of the oldest silent connection of the "
                    + "address furthest past it; 0: half of --reserved-connections, at least 1 (default: "
                    + "${DEFAULT-VALUE})")
    int maxUnauthenticatedPerAddress;

    @Option(names = "--authentication-timeout-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "a connection that has not authenticated (or sent a first request) within this long "
                    + "of its last answer is closed (default: ${DEFAULT-VALUE})")
    long authenticationTimeoutSeconds;

    @Option(names = "--idle-timeout-seconds", paramLabel = "SECONDS", defaultValue = "3600",
            description = "a connection that completes no request for this long is closed; 0: never "
                    + "(default: ${DEFAULT-VALUE})")
    long idleTimeoutSeconds;

    @Option(names = "--statement-max-rows", paramLabel = "N", defaultValue = "1000000",
            description = "rows one statement may build (joins, results, rows changed) (default: ${DEFAULT-VALUE})")
    long statementMaxRows;

    @Option(names = "--statement-max-bytes", paramLabel = "BYTES", defaultValue = "67108864",
            description = "estimated bytes one statement may build, and the largest change it may log "
                    + "(default: ${DEFAULT-VALUE})")
    long statementMaxBytes;

    @Option(names = "--statement-timeout-ms", paramLabel = "MILLIS", defaultValue = "30000",
            description = "how long one statement may run (default: ${DEFAULT-VALUE})")
    long statementTimeoutMillis;

    @Option(names = "--max-heap-share", paramLabel = "SHARE", defaultValue = "0.8",
            description = "share of the heap (above 0, at most 1) the data may take, by the member's estimate, before it "
                    + "refuses writes that add data (reads, deletes and drops go on) (default: ${DEFAULT-VALUE})")
    double maxHeapShare;

    @Option(names = "--shutdown-grace-seconds", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, how long statements in flight may take to finish (default: ${DEFAULT-VALUE})")
    int shutdownGraceSeconds;

    private final Map<String, String> environment;

    public ServerCommand() {
        this(System.getenv());
    }

    ServerCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Plan plan;
        try {
            plan = plan();
        } catch (DirkException e) {
            return ExitCodes.fail(err, e.getMessage(), ExitCodes.CONFIG);
        }
        if (plan.settings.credentials().singlePassword()) {
            err.println("dirk server: warning: only the application password is set, so it also grants replication and "
                    + "administration (promote, fence, follow, resync); give --replication-password-file and "
                    + "--admin-password-file (or $DIRK_REPLICATION_PASSWORD and $DIRK_ADMIN_PASSWORD) to separate them");
            err.flush();
        }
        MemberServer server;
        PrometheusMeterRegistry registry = HealthHttpServer.newRegistry();
        new JvmMemoryMetrics().bindTo(registry); // heap use, next to the member's own meters
        new JvmGcMetrics().bindTo(registry);
        try {
            Files.createDirectories(plan.dataDirectory);
            EngineDatabase database = EngineDatabase.open(plan.dataDirectory);
            database.engine().limitStatements(plan.statementLimits);
            database.engine().limitMemory(MemoryLimit.ofHeapShare(maxHeapShare));
            Member member;
            try {
                member = Member.start(plan.memberId, database, plan.dataDirectory, plan.role, plan.bootstrap);
                member.useLease(plan.primaryLease);
                if (plan.clusterMembers != null) {
                    member.limitPeersTo(plan.clusterMembers);
                }
                if (member.state().role() == Role.SECONDARY && member.state().primaryHost() == null
                        && plan.primaryHost != null) {
                    member.follow(plan.primaryHost, plan.primaryPort); // a REPLICA follows the config's MASTER
                }
                Replicator.attach(member, database.engine(), plan.replication, registry);
            } catch (RuntimeException e) {
                database.close();
                throw e;
            }
            try {
                server = MemberServer.start(member, plan.settings, registry);
            } catch (IOException e) {
                member.close();
                return ExitCodes.fail(err, "dirk server: cannot listen on " + plan.settings.host() + ":"
                        + plan.settings.port() + ": " + e.getMessage(), ExitCodes.FAILURE);
            }
        } catch (DirkException e) {
            return ExitCodes.fail(err, "dirk server: " + e.getMessage(), ExitCodes.FAILURE);
        } catch (IOException e) {
            return ExitCodes.fail(err, "dirk server: cannot create the data directory " + plan.dataDirectory + ": "
                    + e.getMessage(), ExitCodes.FAILURE);
        }
        HealthHttpServer httpServer;
        try {
            httpServer = http.startIfGiven(plan.settings.host(), registry, server::readiness, server::liveness);
        } catch (IOException e) {
            server.close();
            return ExitCodes.fail(err, http.cannotServe("dirk server", plan.settings.host(), e), ExitCodes.FAILURE);
        }
        Shutdown.onSignal("dirk-shutdown", () -> {
            int status = ExitCodes.OK;
            try {
                server.close();
            } catch (RuntimeException e) {
                System.err.println("dirk server: the stop did not complete cleanly: " + e);
                status = ExitCodes.FAILURE;
            }
            if (httpServer != null) {
                httpServer.close();
            }
            // Written directly: the logging system may already be shut down by its own hook.
            System.err.println("dirk server " + plan.memberId() + (status == 0 ? " stopped" : " stopped with errors"));
            return status;
        });
        var state = server.member().state();
        out.println("dirk server " + plan.memberId + " listening on " + plan.settings.host() + ":" + server.port()
                + " as " + state.role().wireName() + " (epoch " + state.epoch() + "), data in " + plan.dataDirectory
                + (httpServer == null ? "" : ", HTTP on port " + httpServer.port())
                + ", replication " + plan.replication.mode().wireName()
                + (state.historyId() == null ? "" : ", history " + state.historyId())
                + (server.member().bootstrapWait() == null ? "" : "; " + server.member().bootstrapWait())
                + (state.primaryHost() == null ? "" : ", following " + state.primaryHost() + ":" + state.primaryPort())
                + (plan.settings.tls() == null ? "" : ", TLS (client certificates "
                        + plan.settings.tls().clientAuth().name().toLowerCase(java.util.Locale.ROOT) + ")"));
        out.flush();
        return Shutdown.runUntil(server::awaitStopped);
    }

    /** What to run, from the flags, the config file and the environment. */
    record Plan(String memberId, Role role, Path dataDirectory, ServerSettings settings, ReplicationSettings replication,
                String primaryHost, int primaryPort, StatementLimits statementLimits, Member.Bootstrap bootstrap,
                Duration primaryLease, List<Member.Peer> clusterMembers) {}

    /** The other instances of config.json; one listed with port 0 (any free port) may be named with any port. */
    private static List<Member.Peer> clusterMembers(ClusterConfig cluster, String self) {
        List<Member.Peer> members = new ArrayList<>();
        for (ClusterConfig.Instance other : cluster.instances()) {
            if (!other.id().equals(self) && other.host() != null && !other.host().isBlank()) {
                members.add(new Member.Peer(other.host(), other.port() == null ? 0 : other.port(), other.id()));
            }
        }
        return List.copyOf(members);
    }

    Plan plan() {
        Optional<Path> configFile = ClusterConfig.locate(config, environment);
        ClusterConfig.Instance instance = null;
        ClusterConfig cluster = null;
        String memberId = ClusterConfig.locateInstanceId(id, environment);
        if (configFile.isPresent()) {
            Path file = configFile.get();
            cluster = ClusterConfig.load(file);
            if (memberId == null) {
                if (cluster.instances().size() != 1) {
                    throw new DirkException(file + ": which instance is this? give --id (or -Ddirk.instanceId, "
                            + "or DIRK_INSTANCE_ID)");
                }
                memberId = cluster.instances().get(0).id();
            }
            instance = cluster.instance(file, memberId);
        }
        Path directory = dataDirectory;
        if (directory == null && instance != null && instance.dataDirectory() != null) {
            directory = Path.of(instance.dataDirectory());
        }
        if (directory == null) {
            throw new DirkException("dirk server: no data directory: give --data-dir (or an instance's dataDirectory in "
                    + "config.json)");
        }
        String listenHost = host != null ? host : instance != null ? instance.host() : ServerSettings.DEFAULT_HOST;
        int listenPort = port != null ? port : instance != null ? instance.port() : ServerSettings.DEFAULT_PORT;
        OptionChecks.port("dirk server: --port", listenPort);
        if (http.httpPort != null) {
            OptionChecks.port("dirk server: --http-port", http.httpPort);
        }
        OptionChecks.atLeastOne("dirk server: --max-connections", maxConnections);
        OptionChecks.atLeastOne("dirk server: --max-request-bytes", maxRequestBytes);
        OptionChecks.atLeastOne("dirk server: --authentication-timeout-seconds", authenticationTimeoutSeconds);
        OptionChecks.atLeastOne("dirk server: --statement-max-rows", statementMaxRows);
        OptionChecks.atLeastOne("dirk server: --statement-max-bytes", statementMaxBytes);
        OptionChecks.atLeastOne("dirk server: --statement-timeout-ms", statementTimeoutMillis);
        if (!(maxHeapShare > 0 && maxHeapShare <= 1)) {
            throw new DirkException("dirk server: --max-heap-share must be above 0 and at most 1 (0.8: 80% of the heap), got "
                    + maxHeapShare);
        }
        if (idleTimeoutSeconds < 0 || reservedConnections < 0 || maxUnauthenticatedPerAddress < 0) {
            throw new DirkException("dirk server: --idle-timeout-seconds, --reserved-connections and "
                    + "--max-unauthenticated-per-address must be 0 or more");
        }
        Role role = instance == null || instance.role() == ClusterConfig.InstanceRole.MASTER
                ? Role.PRIMARY : Role.SECONDARY;
        Credentials credentials = new Credentials(Passwords.fromFileOrEnvironment(passwordFile, environment),
                Passwords.fromFileOrEnvironment(replicationPasswordFile, environment,
                        Passwords.REPLICATION_ENVIRONMENT_VARIABLE),
                Passwords.fromFileOrEnvironment(adminPasswordFile, environment, Passwords.ADMIN_ENVIRONMENT_VARIABLE))
                .withPrevious(Passwords.fromFileOrEnvironment(previousPasswordFile, environment,
                                Passwords.PREVIOUS_ENVIRONMENT_VARIABLE),
                        Passwords.fromFileOrEnvironment(previousReplicationPasswordFile, environment,
                                Passwords.PREVIOUS_REPLICATION_ENVIRONMENT_VARIABLE),
                        Passwords.fromFileOrEnvironment(previousAdminPasswordFile, environment,
                                Passwords.PREVIOUS_ADMIN_ENVIRONMENT_VARIABLE));
        ServerSettings settings = new ServerSettings(listenHost, listenPort, credentials, maxConnections, maxRequestBytes,
                Shutdown.grace(shutdownGraceSeconds), Duration.ofSeconds(authenticationTimeoutSeconds),
                Duration.ofSeconds(idleTimeoutSeconds), reservedConnections, tls.settings("dirk server"),
                maxUnauthenticatedPerAddress);
        String modeName = replicationMode != null ? replicationMode
                : cluster != null && cluster.replication() != null ? cluster.replication().modeName() : "async";
        ReplicationMode mode;
        try {
            mode = ReplicationMode.parse(modeName);
        } catch (IllegalArgumentException e) {
            throw new DirkException("dirk server: --replication-mode: " + e.getMessage());
        }
        OptionChecks.atLeastOne("dirk server: --sync-timeout-ms", syncTimeoutMillis);
        if (primaryLeaseMillis < 0) {
            throw new DirkException("dirk server: --primary-lease-ms must be 0 (off) or more, got " + primaryLeaseMillis);
        }
        ReplicationSettings replication = ReplicationSettings.defaults(mode)
                .withSyncTimeout(Duration.ofMillis(syncTimeoutMillis)).withPeerPassword(credentials.replicationPassword())
                // A peer not restarted since a rotation takes the previous replication password; one still on the
                // single-password setup (mid-upgrade) takes the application password for streaming.
                .withFallbackPasswords(credentials.replicationFallbacks())
                // Members talk to each other as they are talked to: TLS, presenting this member's certificate.
                .withPeerTls(settings.tls() == null ? null : settings.tls().asClient())
                // From the address it listens on, when that is one: the primary knows its members by their addresses.
                .withSourceHost(settings.host());
        ClusterConfig.Instance master = null;
        if (cluster != null && role == Role.SECONDARY) {
            String self = memberId;
            master = cluster.instances().stream()
                    .filter(i -> i.role() == ClusterConfig.InstanceRole.MASTER && !i.id().equals(self))
                    .findFirst().orElse(null);
        }
        // An empty primary starts a history only once no other member of its configuration holds data.
        List<MemberAddress> peers = new ArrayList<>();
        if (cluster != null) {
            for (ClusterConfig.Instance other : cluster.instances()) {
                if (!other.id().equals(memberId) && other.port() != null && other.port() > 0) {
                    peers.add(new MemberAddress(other.id(), other.host(), other.port()));
                }
            }
        }
        String history = historyId != null ? historyId : environment.get("DIRK_HISTORY_ID");
        Member.Bootstrap bootstrap = new Member.Bootstrap(peers, history == null || history.isBlank() ? null : history);
        return new Plan(memberId == null ? "standalone" : memberId, role, directory, settings, replication,
                master == null ? null : master.host(), master == null ? 0 : master.port(),
                new StatementLimits(statementMaxRows, statementMaxBytes, Duration.ofMillis(statementTimeoutMillis)),
                bootstrap,
                // Alone, no supervisor can promote another member: a lease would only stop writes.
                peers.isEmpty() ? Duration.ZERO : Duration.ofMillis(primaryLeaseMillis),
                // With a config, dirk follow and dirk resync may name only its other instances; standalone, any.
                cluster == null ? null : clusterMembers(cluster, memberId));
    }
}
