package io.dirkdb.cli;

import io.dirkdb.backup.Repository;
import io.dirkdb.backup.Restore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dirk restore}: builds a data directory from a base backup plus the archived log up to a target. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Builds DIR (a member's data directory) from a base backup plus the archived log up to the",
                "target (default: everything archived). The result starts with `dirk server --data-dir DIR` as the",
                "primary of a NEW history. Every checksum is verified; a gap in the log, a damaged or missing object, or a",
                "target outside what the repository holds is refused with a one-line error. Re-runnable after an",
                "interruption. Exit 0 on success (or with --if-empty on a directory holding data); 1 on failure; 2 for bad options."})
public final class RestoreCommand implements Callable<Integer> {
    private final Map<String, String> environment;

    public RestoreCommand() {
        this(System.getenv());
    }

    RestoreCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Mixin
    BackupOptions.RepositoryOptions repository = new BackupOptions.RepositoryOptions();

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "the data directory to build")
    Path dataDir;

    @Option(names = "--backup", paramLabel = "ID|latest",
            description = "the base backup to start from (default: the newest one that ends at or before the target)")
    String backupId;

    @Option(names = "--target-lsn", paramLabel = "N", description = "stop after log record N (included)")
    Long targetLsn;

    @Option(names = "--target-time", paramLabel = "ISO-8601",
            description = "keep every record committed at or before this time (like 2026-12-07T17:15:00Z), no later one")
    String targetTime;

    @Option(names = "--if-empty", description = "exit 0 doing nothing when DIR already holds a member's data "
            + "(for an init container that runs on every pod start)")
    boolean ifEmpty;

    @Option(names = "--termination-message-path", paramLabel = "FILE",
            description = "also write the one-line JSON result to this file (Kubernetes: /dev/termination-log): "
                    + "{\"restored\":true,...}, {\"restored\":false,\"reason\":...} with --if-empty on data, or "
                    + "{\"error\":...}")
    Path terminationMessagePath;

    @Option(names = "--history-id", paramLabel = "UUID",
            description = "the history id of the restored data (default: a new random one)")
    String historyId;

    @Override
    public Integer call() {
        if (repository.url == null) {
            System.err.println("dirk restore: --repository is required");
            return ExitCodes.CONFIG;
        }
        if (targetLsn != null && targetTime != null) {
            System.err.println("dirk restore: give --target-lsn or --target-time, not both");
            return ExitCodes.CONFIG;
        }
        Instant time = null;
        if (targetTime != null) {
            try {
                time = Instant.parse(targetTime);
            } catch (DateTimeParseException e) {
                try {
                    time = java.time.OffsetDateTime.parse(targetTime).toInstant();
                } catch (DateTimeParseException again) {
                    System.err.println("dirk restore: --target-time: expected an ISO-8601 time like 2026-12-07T17:15:00Z, got '"
                            + targetTime + "'");
                    return ExitCodes.CONFIG;
                }
            }
        }
        if (targetLsn != null && targetLsn < 0) {
            System.err.println("dirk restore: --target-lsn must not be negative");
            return ExitCodes.CONFIG;
        }
        String history = null;
        if (historyId != null) {
            try {
                history = java.util.UUID.fromString(historyId.strip()).toString();
            } catch (IllegalArgumentException e) {
                System.err.println("dirk restore: --history-id: not a UUID: " + historyId);
                return ExitCodes.CONFIG;
            }
        }
        try {
            if (ifEmpty && Restore.holdsData(dataDir)) {
                System.out.println(dataDir + " already holds a member's data: nothing restored (--if-empty)");
                terminate(JSON.createObjectNode().put("restored", false)
                        .put("reason", dataDir + " already holds a member's data").toString());
                return ExitCodes.OK;
            }
            try (Repository repo = repository.open(environment)) {
                Restore.Outcome outcome = new Restore(repo, System.err::println)
                        .run(backupId, new Restore.Target(targetLsn, time), dataDir, history);
                String result = JSON.createObjectNode()
                        .put("backupId", outcome.backupId()).put("historyId", outcome.historyId())
                        .put("lsn", outcome.lastLsn()).put("epoch", outcome.lastEpoch())
                        .put("lastCommit", outcome.lastCommitMillis() > 0 ? Instant.ofEpochMilli(outcome.lastCommitMillis()).toString() : null)
                        .put("dataDir", outcome.dataDirectory().toString()).toString();
                System.out.println(result);
                terminate(((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(result)).put("restored", true)
                        .toString());
                return ExitCodes.OK;
            }
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            System.err.println("dirk restore: " + message);
            String line = message.replace('\n', ' ');
            terminate(JSON.createObjectNode().put("error", line.length() > 3000 ? line.substring(0, 3000) + "..." : line)
                    .toString());
            return ExitCodes.FAILURE;
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The result for whoever started this restore (a kubelet reads the file as the container's termination message). */
    private void terminate(String json) {
        if (terminationMessagePath == null) {
            return;
        }
        try {
            java.nio.file.Files.writeString(terminationMessagePath, json, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("dirk restore: cannot write " + terminationMessagePath + ": " + e.getMessage());
        }
    }
}
