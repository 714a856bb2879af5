package io.dirkdb.faults;

import io.dirkdb.faults.FaultSchedule.Kind;
import io.dirkdb.faults.FaultSchedule.Role;
import io.dirkdb.faults.FaultSchedule.Step;
import io.dirkdb.replication.ReplicationMode;
import java.nio.file.Path;
import java.util.List;

/**
 * One fault run: a {@link FaultCluster} under a {@link FaultSchedule} while the control node's
 * clients write, then the {@link HistoryChecker} over the history. Prints the seed first, then each
 * fault as it is applied, then the figures.
 */
final class FaultRun {
    /** What a run needs: the cluster's shape and the faults. */
    record Plan(String name, ReplicationMode mode, int members, int proxyClients, int directClients,
                FaultSchedule schedule, long tmpfsBytes) {
        Plan(String name, ReplicationMode mode, FaultSchedule schedule) {
            this(name, mode, 3, 2, 1, schedule, 0);
        }

        /** The same, every member's data directory a tmpfs of {@code bytes} (for {@link Kind#DISK_FULL}). */
        Plan onTmpfs(long bytes) {
            return new Plan(name, mode, members, proxyClients, directClients, schedule, bytes);
        }
    }

    /** What a run ends with: the verdict, and the processes' logs for a failure message. */
    record Outcome(HistoryChecker.Verdict verdict, String logs, Path history) {
        String report() {
            return verdict.summary() + (verdict.ok() ? "" : "\nbroken promises:\n  - "
                    + String.join("\n  - ", verdict.violations()));
        }
    }

    private FaultRun() {}

    /** Runs the plan; the cluster lives in {@code directory} (logs and history stay there). */
    static Outcome run(Path directory, Plan plan, boolean inNamespaces) throws Exception {
        FaultSchedule schedule = plan.schedule();
        System.out.println("[dirk faults] " + plan.name() + ": seed " + schedule.seed() + " (replay with -Ddirk.faults.seed="
                + schedule.seed() + "), " + plan.mode().wireName() + " mode, " + plan.members() + " members, "
                + (inNamespaces ? "network namespaces" : "loopback (no partitions)"));
        try (FaultCluster cluster = FaultCluster.start(directory, plan.members(), plan.mode(), inNamespaces,
                plan.proxyClients(), plan.directClients(), plan.tmpfsBytes())) {
            int cycle = 0;
            for (Step step : schedule.steps()) {
                cycle++;
                apply(cluster, step, cycle);
            }
            List<History.Event> history = cluster.finish(30_000);
            HistoryChecker.Verdict verdict = new HistoryChecker(plan.mode() == ReplicationMode.SYNC).check(history);
            System.out.println("[dirk faults] " + plan.name() + ": seed " + schedule.seed() + ", cycles " + cycle + ", "
                    + verdict.summary());
            Path kept = cluster.historyFile();
            if (!verdict.ok()) {
                kept = keep(directory, plan.name() + "-" + schedule.seed());
            }
            return new Outcome(verdict, cluster.logs(), kept);
        }
    }

    private static void apply(FaultCluster cluster, Step step, int cycle) throws Exception {
        if (step.kind().needsNamespaces() && !cluster.partitionable()) {
            throw new IllegalStateException(step.kind() + " needs network namespaces");
        }
        if (step.kind().needsTmpfs() && !cluster.onTmpfs()) {
            throw new IllegalStateException(step.kind() + " needs the members' data directories on tmpfs");
        }
        String primary = cluster.primary();
        List<String> secondaries = cluster.memberIds().stream().filter(id -> !id.equals(primary)).toList();
        String target = step.kind().targetsProxy() ? "proxy"
                : step.role() == Role.PRIMARY && primary != null ? primary
                : secondaries.get(step.index() % secondaries.size());
        String what = "cycle " + cycle + ": " + step.kind() + " of " + target
                + (target.equals(primary) ? " (primary at epoch " + cluster.primaryEpoch() + ")" : "")
                + " for " + step.holdMillis() + " ms";
        System.out.println("[dirk faults]   " + what);
        cluster.note(what);
        ChildProcess process = step.kind().targetsProxy() ? cluster.proxy() : cluster.member(target);
        switch (step.kind()) {
            case KILL, KILL_PROXY -> process.kill();
            case PAUSE, PAUSE_PROXY -> process.pause();
            case PARTITION_FROM_MEMBERS -> {
                for (String other : cluster.memberIds()) {
                    if (!other.equals(target)) {
                        cluster.cutMembers(target, other);
                    }
                }
            }
            case PARTITION_FROM_SUPERVISOR -> cluster.cutFromSupervisor(target);
            case DISK_FULL -> cluster.fillDisk(target);
            case SLOW_FSYNC -> cluster.slowFsync(target, 1500);
            case ISOLATE -> {
                for (String other : cluster.memberIds()) {
                    if (!other.equals(target)) {
                        cluster.cutMembers(target, other);
                    }
                }
                cluster.cutFromSupervisor(target);
                cluster.cutFromClients(target);
            }
            default -> throw new AssertionError(step.kind());
        }
        Thread.sleep(step.holdMillis()); // the fault's duration is part of the schedule
        switch (step.kind()) {
            case KILL, KILL_PROXY -> cluster.restart(process);
            case PAUSE, PAUSE_PROXY -> process.resume();
            case DISK_FULL -> cluster.freeDisk(target);
            case SLOW_FSYNC -> cluster.slowFsync(target, 0);
            default -> cluster.heal();
        }
        cluster.note("healed: " + what);
        Thread.sleep(step.quietMillis()); // calm between faults, also from the schedule
    }

    /** Copies the history and the logs of a failed run under target/fault-runs/, out of the test's temporary directory. */
    private static Path keep(Path directory, String name) throws java.io.IOException {
        Path target = Path.of("target", "fault-runs", name.replaceAll("[^A-Za-z0-9-]+", "-")).toAbsolutePath();
        java.nio.file.Files.createDirectories(target.resolve("logs"));
        java.nio.file.Files.copy(directory.resolve("history.jsonl"), target.resolve("history.jsonl"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (var logs = java.nio.file.Files.list(directory.resolve("logs"))) {
            for (Path log : logs.toList()) {
                java.nio.file.Files.copy(log, target.resolve("logs").resolve(log.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("[dirk faults] history and logs of the failed run kept in " + target);
        return target.resolve("history.jsonl");
    }

    /** The kinds of fault this machine can make: partitions only where namespaces can be made. */
    static List<Kind> possible(List<Kind> wanted, boolean inNamespaces) {
        return wanted.stream().filter(k -> inNamespaces || !k.needsNamespaces()).toList();
    }
}
