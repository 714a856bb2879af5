package io.dirkdb.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.backup.BackupException;
import io.dirkdb.backup.BaseBackup;
import io.dirkdb.backup.Backups;
import io.dirkdb.backup.Manifest;
import io.dirkdb.backup.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dirk backup}: takes one base backup; {@code list} and {@code prune} look after the repository. */
@Command(name = "backup", mixinStandardHelpOptions = true,
        subcommands = {BackupCommand.ListBackups.class, BackupCommand.Prune.class},
        description = {"Takes one base backup: the latest snapshot of a caught-up secondary (else the primary) plus",
                "the log after it up to that member's durable end, written to the repository with a manifest (last).",
                "Prints one JSON line on success. Exit 0 on success; 1 with a one-line error; 2 for bad options.",
                "A re-run after an interruption takes a fresh backup; what the interrupted one left is removed by prune."})
public final class BackupCommand implements Callable<Integer> {
    private final Map<String, String> environment;

    public BackupCommand() {
        this(System.getenv());
    }

    BackupCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Mixin
    BackupOptions.RepositoryOptions repository = new BackupOptions.RepositoryOptions();

    @Mixin
    BackupOptions.MemberOptions members = new BackupOptions.MemberOptions();

    @Option(names = "--termination-message-path", paramLabel = "FILE",
            description = "also write the JSON result (or {\"error\":...}) to this file (Kubernetes: /dev/termination-log)")
    Path terminationMessagePath;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(environment)) {
            Manifest manifest = new BaseBackup(members.access("dirk backup", environment), repo).take();
            String line = manifest.summary();
            System.out.println(line);
            terminate(line);
            return ExitCodes.OK;
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            System.err.println("dirk backup: " + message);
            terminate(new ObjectMapper().createObjectNode().put("error", oneLine(message)).toString());
            return e instanceof BackupException && message.startsWith("--") ? ExitCodes.CONFIG : ExitCodes.FAILURE;
        }
    }

    private void terminate(String json) {
        if (terminationMessagePath == null) {
            return;
        }
        try {
            Files.writeString(terminationMessagePath, json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("dirk backup: cannot write " + terminationMessagePath + ": " + e.getMessage());
        }
    }

    private static String oneLine(String message) {
        String line = message.replace('\n', ' ');
        return line.length() > 3000 ? line.substring(0, 3000) + "..." : line;
    }

    /** {@code dirk backup list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the complete base backups of the repository, oldest first, and the archived log.")
    static final class ListBackups implements Callable<Integer> {
        @Mixin
        BackupOptions.RepositoryOptions repository = new BackupOptions.RepositoryOptions();

        @Option(names = "--json", description = "one JSON object per backup (its manifest without the object list)")
        boolean json;

        @Override
        public Integer call() {
            try (Repository repo = repository.open(System.getenv())) {
                Backups.Listing listing = Backups.list(repo);
                ObjectMapper mapper = new ObjectMapper();
                for (Manifest backup : listing.backups()) {
                    if (json) {
                        var node = mapper.valueToTree(backup);
                        ((com.fasterxml.jackson.databind.node.ObjectNode) node).remove("objects");
                        System.out.println(mapper.writeValueAsString(node));
                    } else {
                        System.out.printf(Locale.ROOT, "%s  history %s  LSN %d..%d  %,d bytes  from %s  completed %s%n",
                                backup.backupId(), backup.historyId(), backup.startLsn(), backup.endLsn(), backup.bytes(),
                                backup.member(), backup.completedAt());
                    }
                }
                if (!json) {
                    for (String line : listing.archiveSummary()) {
                        System.out.println(line);
                    }
                }
                return ExitCodes.OK;
            } catch (IOException | RuntimeException e) {
                System.err.println("dirk backup list: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
    }

    /** {@code dirk backup prune}. */
    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Deletes base backups beyond both limits (never the newest complete one), the archived log",
                    "no kept backup needs, and what interrupted backups left. Prints what it deleted."})
    static final class Prune implements Callable<Integer> {
        @Mixin
        BackupOptions.RepositoryOptions repository = new BackupOptions.RepositoryOptions();

        @Option(names = "--keep-last", paramLabel = "N", description = "keep at least the N newest backups")
        Integer keepLast;

        @Option(names = "--max-age", paramLabel = "DURATION", description = "keep backups younger than this (30d, 12h, 90m)")
        String maxAge;

        @Option(names = "--dry-run", description = "print what would be deleted, delete nothing")
        boolean dryRun;

        @Override
        public Integer call() {
            Duration age;
            try {
                age = maxAge == null ? null : parseDuration(maxAge);
            } catch (IllegalArgumentException e) {
                System.err.println("dirk backup prune: " + e.getMessage());
                return ExitCodes.CONFIG;
            }
            if (keepLast != null && keepLast < 1) {
                System.err.println("dirk backup prune: --keep-last must be at least 1");
                return ExitCodes.CONFIG;
            }
            try (Repository repo = repository.open(System.getenv())) {
                List<String> deleted = Backups.prune(repo, keepLast, age, dryRun);
                for (String name : deleted) {
                    System.out.println((dryRun ? "would delete " : "deleted ") + name);
                }
                System.out.println((dryRun ? "would delete " : "deleted ") + deleted.size() + " objects");
                return ExitCodes.OK;
            } catch (IOException | RuntimeException e) {
                System.err.println("dirk backup prune: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
    }

    /** {@code 30d}, {@code 12h}, {@code 90m}, {@code 45s}. */
    static Duration parseDuration(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([dhms])").matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--max-age: expected a number and d, h, m or s (like 30d or 12h), got '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
