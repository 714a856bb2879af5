package io.dirkdb.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A PostgreSQL started for one benchmark run in a directory of its own: fsync and synchronous_commit on,
 * listening only on 127.0.0.1 (no unix socket), trust authentication for the user {@code postgres}, measured
 * with {@code pgbench} in simple query mode (each statement sent as text, as DirkDB's protocol sends it).
 * Postgres refuses to run as root: as root, initdb and the server run as {@code nobody}.
 */
public final class ThrowawayPostgres {
    /** Where Debian and Ubuntu put each installed major version's binaries. */
    static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
    private static final Pattern READY = Pattern.compile("database system is ready to accept connections");
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");
    private static final String UNPRIVILEGED_USER = "nobody";
    private static final Map<String, String> ENVIRONMENT = Map.of("LC_ALL", "C", "LANG", "C", "PGUSER", "postgres");

    /** What {@link #find} found: the binaries, or the one that is missing. */
    public sealed interface Search permits Binaries, Missing {}

    /** The three programs the comparison needs. */
    public record Binaries(Path initdb, Path postgres, Path pgbench) implements Search {}

    /** A program that was not found, and where it was looked for. */
    public record Missing(String program, String searched) implements Search {
        /** One sentence for the user: what is missing and how to install it. */
        public String sentence() {
            return "PostgreSQL is not compared: `" + program + "` was not found (" + searched + "); install it with "
                    + "`apt-get install postgresql` (Debian, Ubuntu) or give --pg-bin DIR";
        }
    }

    /**
     * The binaries in {@code pgBin} only when it is given; else each found on {@code path} (the PATH
     * variable), then in the newest {@code /usr/lib/postgresql/<version>/bin}.
     */
    public static Search find(Path pgBin, String path) {
        List<Path> directories = new ArrayList<>();
        String searched;
        if (pgBin != null) {
            directories.add(pgBin);
            searched = "looked in --pg-bin " + pgBin;
        } else {
            if (path != null) {
                for (String entry : path.split(java.io.File.pathSeparator)) {
                    if (!entry.isBlank()) {
                        directories.add(Path.of(entry));
                    }
                }
            }
            directories.addAll(debianVersionDirectories());
            searched = "looked on the PATH and in " + DEBIAN_VERSIONS + "/*/bin";
        }
        Path[] found = new Path[3];
        String[] programs = {"initdb", "postgres", "pgbench"};
        for (int i = 0; i < programs.length; i++) {
            Optional<Path> program = findProgram(programs[i], directories);
            if (program.isEmpty()) {
                return new Missing(programs[i], searched);
            }
            found[i] = program.get();
        }
        return new Binaries(found[0], found[1], found[2]);
    }

    private static Optional<Path> findProgram(String name, List<Path> directories) {
        return directories.stream().map(directory -> directory.resolve(name))
                .filter(candidate -> Files.isRegularFile(candidate) && Files.isExecutable(candidate)).findFirst();
    }

    /** {@code /usr/lib/postgresql/<version>/bin}, the highest version first. */
    private static List<Path> debianVersionDirectories() {
        if (!Files.isDirectory(DEBIAN_VERSIONS)) {
            return List.of();
        }
        try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
            return versions.map(version -> version.resolve("bin")).filter(Files::isDirectory)
                    .sorted(Comparator.comparingInt(ThrowawayPostgres::majorVersion).reversed()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private final Binaries binaries;
    private final ChildProcesses processes;
    private final Path scripts;
    private final int port;
    private final String version;
    private final String runsAs;

    private ThrowawayPostgres(Binaries binaries, ChildProcesses processes, Path scripts, int port, String version,
            String runsAs) {
        this.binaries = binaries;
        this.processes = processes;
        this.scripts = scripts;
        this.port = port;
        this.version = version;
        this.runsAs = runsAs;
    }

    /**
     * Runs initdb in {@code directory}/cluster/data (as root: {@code directory} and its parent, if private,
     * become passable by others, so that nobody reaches its own directory) and starts the server on a free loopback port; it stops when
     * {@code processes} closes.
     */
    public static ThrowawayPostgres start(Binaries binaries, Path directory, ChildProcesses processes)
            throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path scripts = Files.createDirectories(directory.resolve("scripts"));
        Path cluster = Files.createDirectories(directory.resolve("cluster"));
        List<String> asUser = new ArrayList<>();
        String runsAs = System.getProperty("user.name");
        if (isRoot()) {
            asUser.addAll(unprivileged(cluster));
            runsAs = UNPRIVILEGED_USER + " (postgres refuses to run as root)";
        }
        ChildProcesses.Finished versionOutput = processes.run("postgres-version",
                List.of(binaries.postgres().toString(), "--version"), ENVIRONMENT, Duration.ofSeconds(30));
        String version = versionOutput.output().strip();
        Path data = cluster.resolve("data");
        List<String> initdb = new ArrayList<>(asUser);
        // --no-sync: the catalogs of a throwaway cluster need no fsync; the server below runs with fsync on.
        initdb.addAll(List.of(binaries.initdb().toString(), "-D", data.toString(), "-U", "postgres", "--auth=trust",
                "--locale=C", "--encoding=UTF8", "--no-sync"));
        ChildProcesses.Finished initialized = processes.run("initdb", initdb, ENVIRONMENT, Duration.ofMinutes(3));
        if (initialized.exitCode() != 0) {
            throw new IOException("initdb failed (exit " + initialized.exitCode() + "): " + initialized.output().strip());
        }
        int port = freeLoopbackPort();
        List<String> server = new ArrayList<>(asUser);
        server.addAll(List.of(binaries.postgres().toString(), "-D", data.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=on",
                "-c", "synchronous_commit=on", "-c", "max_connections=50"));
        ChildProcesses.Child postgres = processes.start("postgres", server, ENVIRONMENT);
        ChildProcesses.awaitLine(postgres, READY, Duration.ofMinutes(2));
        return new ThrowawayPostgres(binaries, processes, scripts, port, version, runsAs);
    }

    /** {@code setpriv} (else {@code runuser}) to run as nobody, who is given {@code cluster}. */
    private static List<String> unprivileged(Path cluster) throws IOException {
        UserPrincipalLookupService users = cluster.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(cluster, users.lookupPrincipalByName(UNPRIVILEGED_USER));
        // nobody passes through the benchmark's directories above its own (listing them stays private).
        for (Path parent : List.of(cluster.getParent(), cluster.getParent().getParent())) {
            if (isOwnPrivateDirectory(parent)) {
                Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
            }
        }
        for (Path parent = cluster.getParent(); parent != null; parent = parent.getParent()) {
            if (!Files.getPosixFilePermissions(parent).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("postgres runs as " + UNPRIVILEGED_USER + " (it refuses root), who may not pass "
                        + "through " + parent + ": give --temp-dir a directory others may pass through, such as /var/tmp");
            }
        }
        Optional<Path> setpriv = findProgram("setpriv", List.of(Path.of("/usr/bin"), Path.of("/bin")));
        if (setpriv.isPresent()) {
            // setpriv executes the program itself: the process we stop is postgres, not a wrapper.
            return List.of(setpriv.get().toString(), "--reuid=" + UNPRIVILEGED_USER, "--regid=" + primaryGroup(),
                    "--clear-groups", "--");
        }
        Optional<Path> runuser = findProgram("runuser", List.of(Path.of("/usr/sbin"), Path.of("/sbin")));
        if (runuser.isPresent()) {
            return List.of(runuser.get().toString(), "-u", UNPRIVILEGED_USER, "--");
        }
        throw new IOException("running as root, and neither setpriv nor runuser was found to run postgres as "
                + UNPRIVILEGED_USER + " (postgres refuses root)");
    }

    private static boolean isOwnPrivateDirectory(Path directory) throws IOException {
        return Files.isDirectory(directory) && !Files.isSymbolicLink(directory)
                && Files.getOwner(directory).getName().equals(System.getProperty("user.name"))
                && !Files.getPosixFilePermissions(directory).contains(PosixFilePermission.OTHERS_EXECUTE);
    }

    /** nobody's group id, from /etc/passwd. */
    private static String primaryGroup() throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
            String[] fields = line.split(":");
            if (fields.length > 3 && fields[0].equals(UNPRIVILEGED_USER)) {
                return fields[3];
            }
        }
        throw new IOException("running as root, and there is no user " + UNPRIVILEGED_USER
                + " to run postgres as (postgres refuses root)");
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** What {@code postgres --version} said. */
    public String version() {
        return version;
    }

    /** The user the server runs as, with why when it is not this process's. */
    public String runsAs() {
        return runsAs;
    }

    /**
     * Creates the tables the workloads use, like DirkDB's: {@code ins1} and {@code insn} without index,
     * {@code look} with {@code rows} rows and its id as primary key.
     */
    public void load(int rows) throws IOException, InterruptedException {
        Path setup = script("setup", String.join("\n",
                "DROP TABLE IF EXISTS ins1, insn, look;",
                "CREATE TABLE ins1 (id bigint, v text);",
                "CREATE TABLE insn (id bigint, v text);",
                "CREATE TABLE look (id integer PRIMARY KEY, v text);",
                "INSERT INTO look SELECT g, 'row ' || g FROM generate_series(0, " + (rows - 1) + ") AS g;",
                "VACUUM ANALYZE look;", ""));
        ChildProcesses.Finished loaded = processes.run("pgbench-load", pgbench(setup, 1, List.of("-t", "1")),
                ENVIRONMENT, Duration.ofMinutes(10));
        if (loaded.exitCode() != 0) {
            throw new IOException("loading PostgreSQL failed (pgbench exit " + loaded.exitCode() + "): "
                    + loaded.output().strip());
        }
    }

    /** Durable single-row inserts per second into {@code table}. */
    public double inserts(String table, int connections, int seconds, int warmUpSeconds)
            throws IOException, InterruptedException {
        Path script = script("insert-" + table, "\\set id random(0, 2000000000)\n"
                + "INSERT INTO " + table + " (id, v) VALUES (:id, 'row ' || :id);\n");
        return measure("pgbench-inserts-" + connections, script, connections, seconds, warmUpSeconds);
    }

    /** Point lookups per second of ids drawn from {@code 0..keys-1} in {@code look}. */
    public double lookups(int keys, int connections, int seconds, int warmUpSeconds)
            throws IOException, InterruptedException {
        Path script = script("lookup-" + keys, "\\set id random(0, " + (keys - 1) + ")\n"
                + "SELECT v FROM look WHERE id = :id;\n");
        return measure("pgbench-lookups-" + connections, script, connections, seconds, warmUpSeconds);
    }

    private double measure(String name, Path script, int connections, int seconds, int warmUpSeconds)
            throws IOException, InterruptedException {
        if (warmUpSeconds > 0) {
            tps(name + "-warm-up", script, connections, warmUpSeconds);
        }
        return tps(name, script, connections, seconds);
    }

    private double tps(String name, Path script, int connections, int seconds) throws IOException, InterruptedException {
        ChildProcesses.Finished finished = processes.run(name, pgbench(script, connections,
                List.of("-T", Integer.toString(seconds))), ENVIRONMENT, Duration.ofSeconds(seconds + 120L));
        Matcher tps = TPS.matcher(finished.output());
        if (finished.exitCode() != 0 || !tps.find()) {
            throw new IOException("pgbench failed (exit " + finished.exitCode() + "): " + finished.output().strip());
        }
        return Double.parseDouble(tps.group(1));
    }

    /** pgbench in simple query mode, one thread per connection, no vacuum of its own tables. */
    private List<String> pgbench(Path script, int connections, List<String> length) {
        List<String> command = new ArrayList<>(List.of(binaries.pgbench().toString(), "-h", "127.0.0.1",
                "-p", Integer.toString(port), "-U", "postgres", "-n", "-M", "simple",
                "-c", Integer.toString(connections), "-j", Integer.toString(connections)));
        command.addAll(length);
        command.addAll(List.of("-f", script.toString(), "postgres"));
        return command;
    }

    private Path script(String name, String text) throws IOException {
        return Files.writeString(scripts.resolve(name + ".sql"), text, StandardCharsets.UTF_8);
    }
}
