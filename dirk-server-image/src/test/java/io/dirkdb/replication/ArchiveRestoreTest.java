package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dirkdb.backup.Archiver;
import io.dirkdb.backup.ArchiverLease;
import io.dirkdb.backup.Backups;
import io.dirkdb.backup.DirectoryRepository;
import io.dirkdb.backup.MemberAccess;
import io.dirkdb.backup.Repository;
import io.dirkdb.backup.Restore;
import io.dirkdb.server.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Continuous archiving from real members and restores from it: latest, to a time, and the refusals. */
class ArchiveRestoreTest extends ReplicaSetFixture {
    private final List<Thread> threads = new ArrayList<>();
    private final List<Archiver> archivers = new ArrayList<>();

    @AfterEach
    void stopArchivers() throws InterruptedException {
        archivers.forEach(Archiver::stop);
        for (Thread thread : threads) {
            thread.join(20_000);
        }
    }

    void startPair() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        try (var client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute(BackupRestoreTest.TABLE));
        }
    }

    MemberAccess access(String... ids) {
        List<ResyncTool.Endpoint> endpoints = new ArrayList<>();
        for (String id : ids) {
            endpoints.add(new ResyncTool.Endpoint(members.node(id).host(), members.node(id).port()));
        }
        return new MemberAccess(endpoints, null, List.of(), null);
    }

    Archiver startArchiver(Repository repo, String... ids) throws IOException {
        return startArchiver(repo, Archiver.DEFAULT_LEASE, ids);
    }

    Archiver startArchiver(Repository repo, Duration lease, String... ids) throws IOException {
        Archiver archiver = new Archiver(access(ids), repo, Duration.ofMillis(200), 1 << 20, new SimpleMeterRegistry(),
                lease);
        Thread thread = new Thread(archiver::run, "test-archiver");
        thread.setDaemon(true);
        thread.start();
        archivers.add(archiver);
        threads.add(thread);
        return archiver;
    }

    void insert(String member, int from, int to) throws Exception {
        try (var client = members.connect(member)) {
            ok(client.execute("ampiasao shop"));
            for (int i = from; i <= to; i++) {
                ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'row" + i + "')"));
            }
        }
    }

    void awaitArchived(Archiver archiver, String member) throws IOException {
        long lsn = members.heartbeat(member).path("lsn").asLong();
        long epoch = members.heartbeat(member).path("epoch").asLong();
        // The epoch too: after a failover, the old branch may reach as far as the new primary's log.
        await().atMost(Duration.ofSeconds(20)).until(() -> archiver.archivedLsn() >= lsn && archiver.archivedEpoch() >= epoch);
    }

    List<List<Object>> restoreAndRead(Repository repo, Restore.Target target, String id) throws Exception {
        new Restore(repo, line -> { }).run(null, target, root.resolve(id), null);
        members.start(id, Role.PRIMARY, null, 0);
        return members.rows(id, "shop", "alaivo * ao@ item");
    }

    @Test
    void archiveUnderContinuousWritesRestoresEveryAcknowledgedWrite() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1", "m2");
        // Writes go on while the archiver takes its first base backup and streams (once it holds the lease).
        await().atMost(Duration.ofSeconds(10)).until(archiver::leaseHeld);
        AtomicInteger acknowledged = new AtomicInteger();
        Thread writer = new Thread(() -> {
            try (var client = members.connect("m1")) {
                ok(client.execute("ampiasao shop"));
                for (int i = 1; i <= 300; i++) {
                    ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'row" + i + "')"));
                    acknowledged.set(i);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        writer.join(60_000);
        assertThat(acknowledged.get()).isEqualTo(300);
        awaitArchived(archiver, "m1");
        // Several chunks, each behind the base backup the archiver took itself.
        assertThat(repo.list("wal/")).hasSizeGreaterThan(1);
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 300));
    }

    @Test
    void restoreToATimeHoldsExactlyTheWritesCommittedUpToIt() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        insert("m1", 1, 10);
        Instant between = Instant.now();
        await().until(() -> Instant.now().toEpochMilli() > between.toEpochMilli()); // the next commit is strictly later
        insert("m1", 11, 20);
        awaitArchived(archiver, "m1");
        assertThat(restoreAndRead(repo, new Restore.Target(null, between), "r1")).isEqualTo(BackupRestoreTest.rows(1, 10));
        // A time past what is archived is refused while the archive is not known complete up to it.
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null,
                new Restore.Target(null, Instant.now().plusSeconds(3600)), root.resolve("r2"), null))
                .hasMessageContaining("beyond what the repository holds");
    }

    @Test
    void damagedOrMissingObjectsAreRefusedAndAnInterruptedRestoreRunsAgain() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        for (int i = 1; i <= 6; i++) {
            insert("m1", i * 10 - 9, i * 10);
            long lsn = members.heartbeat("m1").path("lsn").asLong();
            await().atMost(Duration.ofSeconds(20)).until(() -> archiver.archivedLsn() >= lsn); // one chunk per batch
        }
        archiver.stop();
        List<Repository.Entry> chunks = repo.list("wal/").stream().filter(e -> e.name().endsWith(".chunk")).toList();
        assertThat(chunks.size()).isGreaterThanOrEqualTo(6);
        Path repoDir = root.resolve("repo");

        // A repository whose reads fail half-way: the restore is interrupted, nothing looks like data, a re-run works.
        AtomicInteger reads = new AtomicInteger();
        Repository failing = new Repository() {
            public void put(String name, Path file) throws IOException { repo.put(name, file); }
            public void put(String name, byte[] bytes) throws IOException { repo.put(name, bytes); }
            public InputStream get(String name) throws IOException {
                if (name.endsWith(".chunk") && name.startsWith("wal/") && reads.incrementAndGet() == 3) {
                    throw new IOException("connection reset (injected)");
                }
                return repo.get(name);
            }
            public List<Entry> list(String prefix) throws IOException { return repo.list(prefix); }
            public void delete(String name) throws IOException { repo.delete(name); }
            public String describe() { return "failing " + repo.describe(); }
        };
        assertThatThrownBy(() -> new Restore(failing, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null))
                .hasMessageContaining("injected");
        assertThat(Files.exists(root.resolve("r1"))).isFalse();
        assertThat(Files.exists(root.resolve("r1.restoring"))).isFalse();
        // A restore killed half-way leaves its staging directory (here: data files of a partial build); a re-run replaces it.
        Files.createDirectories(root.resolve("r1.restoring/wal"));
        Files.write(root.resolve("r1.restoring/wal/00000000000000000001.log"), new byte[] {1, 2, 3});
        Files.write(root.resolve("r1.restoring/member.json"), "{".getBytes());
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 60));
        assertThat(Files.exists(root.resolve("r1.restoring"))).isFalse();

        // A flipped byte in a middle chunk.
        Path middle = repoDir.resolve(chunks.get(chunks.size() / 2).name());
        byte[] bytes = Files.readAllBytes(middle);
        bytes[bytes.length - 3] ^= 0x40;
        Files.write(middle, bytes);
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r2"), null))
                .hasMessageContaining("is damaged").hasMessageContaining(chunks.get(chunks.size() / 2).name());
        assertThat(Files.exists(root.resolve("r2"))).isFalse();
        // The same chunk gone: a gap.
        Files.delete(middle);
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r2"), null))
                .hasMessageContaining("gap");
        // A truncated snapshot object.
        Path snapshot;
        try (Stream<Path> files = Files.walk(repoDir.resolve("backups"))) {
            snapshot = files.filter(f -> f.getFileName().toString().equals("snapshot.snap")).findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(snapshot);
        Files.write(snapshot, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, new Restore.Target(1L << 40, null),
                root.resolve("r2"), null)).hasMessageContaining("snapshot.snap is damaged");
        assertThat(Files.exists(root.resolve("r2"))).isFalse();
    }

    @Test
    void archivingFollowsAFailoverAndTheRestoreHoldsTheNewPrimarysHistory() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1", "m2");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        insert("m1", 1, 30);
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        members.stop("m1");
        ok(members.execute("m2", "dirk promote 2"));
        insert("m2", 31, 50);
        awaitArchived(archiver, "m2");
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 50));
    }

    @Test
    void afterAFailoverThatLostArchivedRecordsTheRestoreFollowsTheSurvivingHistory() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1", "m2");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        insert("m1", 1, 30);
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        awaitArchived(archiver, "m1");
        ok(members.execute("m2", "dirk fence")); // m2 stops following: what m1 writes now only the archive gets
        insert("m1", 31, 40);
        awaitArchived(archiver, "m1");
        members.stop("m1");
        ok(members.execute("m2", "dirk promote 2"));
        insert("m2", 141, 150);
        awaitArchived(archiver, "m2");
        List<List<Object>> expected = new ArrayList<>(BackupRestoreTest.rows(1, 30));
        expected.addAll(BackupRestoreTest.rows(141, 150));
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(expected);
    }

    @Test
    void afterAFailoverThatLostMoreRecordsThanTheNewPrimaryWroteSinceTheRestoreToLatestIsNotRefusedAsAGap() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1", "m2");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        insert("m1", 1, 30);
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        awaitArchived(archiver, "m1");
        ok(members.execute("m2", "dirk fence"));
        insert("m1", 31, 60); // archived, then lost: the lost branch reaches further than the new primary's log
        awaitArchived(archiver, "m1");
        members.stop("m1");
        ok(members.execute("m2", "dirk promote 2"));
        insert("m2", 141, 142);
        awaitArchived(archiver, "m2");
        List<List<Object>> expected = new ArrayList<>(BackupRestoreTest.rows(1, 30));
        expected.addAll(BackupRestoreTest.rows(141, 142));
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(expected);
    }

    @Test
    void whenThePrimaryCutTheLogTheArchiverWasMissingListShowsTheGapAndRestoreRefusesTargetsInIt() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC)).withSegmentBytes(1024);
        members.startPrimary("m1"); // alone, small segments: its checkpoint keeps no log for anyone
        try (var client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute(BackupRestoreTest.TABLE));
        }
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver first = startArchiver(repo, "m1");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && first.archiving());
        insert("m1", 1, 10);
        awaitArchived(first, "m1");
        long archivedEnd = members.heartbeat("m1").path("lsn").asLong();
        first.stop();
        threads.get(0).join(20_000);
        insert("m1", 11, 60); // never archived: the checkpoint drops them from the log
        long inGap = members.heartbeat("m1").path("lsn").asLong() - 3;
        members.stop("m1");
        members.restart("m1"); // forgets the archiver's stream, which a checkpoint would keep the log for
        members.node("m1").database().engine().checkpoint();
        insert("m1", 61, 65);
        Archiver second = startArchiver(repo, "m1");
        awaitArchived(second, "m1");
        assertThat(Backups.list(repo).backups()).hasSize(2); // the second archiver had to take a new base backup

        assertThat(String.join("\n", Backups.list(repo).archiveSummary()))
                .contains("gap").contains("LSN " + (archivedEnd + 1) + "..");
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, new Restore.Target(inGap, null),
                root.resolve("r2"), null)).hasMessageContaining("gap");
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 65));
    }

    @Test
    void aChunkWhoseNameLiesAboutItsRangeIsRefused() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, "m1");
        await().atMost(Duration.ofSeconds(20)).until(() -> !repo.list("backups/").isEmpty() && archiver.archiving());
        for (int i = 1; i <= 3; i++) {
            insert("m1", i * 10 - 9, i * 10);
            long lsn = members.heartbeat("m1").path("lsn").asLong();
            await().atMost(Duration.ofSeconds(20)).until(() -> archiver.archivedLsn() >= lsn); // one chunk per batch
        }
        archiver.stop();
        List<Repository.Entry> chunks = repo.list("wal/").stream().filter(e -> e.name().endsWith(".chunk")).toList();
        assertThat(chunks.size()).isGreaterThanOrEqualTo(3);
        // The first chunk renamed to claim one more record than it holds (its SHA-256 still matches its content).
        Path first = root.resolve("repo").resolve(chunks.get(0).name());
        String name = first.getFileName().toString();
        String[] parts = name.split("-", 3);
        String lying = parts[0] + "-" + String.format("%020d", Long.parseLong(parts[1]) + 1) + "-" + parts[2];
        Files.move(first, first.resolveSibling(lying));
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null))
                .hasMessageContaining("is damaged: its name says");
        assertThat(Files.exists(root.resolve("r1"))).isFalse();
    }

    @Test
    void writesAcknowledgedButNotArchivedWhenTheArchiverIsKilledAreArchivedAfterItsRestart() throws Exception {
        startPair();
        Path repoDir = root.resolve("repo");
        Repository repo = new DirectoryRepository(repoDir);
        String m1 = members.node("m1").host() + ":" + members.node("m1").port();
        // A real `dirk archive` process, flushing rarely, so what it received is only in its memory when it dies.
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk", "archive", "--members", m1,
                "--repository", repoDir.toString(), "--flush-seconds", "600", "--lease-seconds", "2");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("archive.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> !repo.list("backups/").isEmpty());
            insert("m1", 1, 40); // acknowledged; streamed to the archiver, not stored
            long end = members.heartbeat("m1").path("lsn").asLong();
            assertThat(repo.list("wal/").stream().filter(e -> e.name().endsWith(".chunk"))).isEmpty();
            process.destroyForcibly().waitFor();
            assertThat(repo.list("wal/").stream().filter(e -> e.name().endsWith(".chunk"))).isEmpty();
            // Its lease was not released: the next archiver takes it once it has gone 2 s unchanged.
            assertThat(repo.list(ArchiverLease.NAME)).hasSize(1);
            Archiver archiver = startArchiver(repo, Duration.ofSeconds(2), "m1");
            // It waits: the killed archiver's lease is taken over only once it has gone 2 s unchanged.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> !archiver.leaseHeld());
            await().atMost(Duration.ofSeconds(20)).until(() -> archiver.archivedLsn() >= end);
        } finally {
            process.destroyForcibly().waitFor();
        }
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 40));
    }
    /**
     * One archiver per repository: a second one started on it waits as a standby (it stores nothing, its health
     * says why) for as long as the first renews its lease, and takes over as soon as the first stops cleanly.
     */
    @Test
    void aSecondArchiverOfTheRepositoryWaitsAsAStandbyAndTakesOverWhenTheFirstStops() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver first = startArchiver(repo, Duration.ofSeconds(5), "m1", "m2");
        await().atMost(Duration.ofSeconds(20)).until(first::archiving);
        Archiver second = startArchiver(repo, Duration.ofSeconds(5), "m1", "m2");
        insert("m1", 1, 20);
        awaitArchived(first, "m1");
        // Longer than the lease: the first renews it, so the second never takes it.
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(9)).until(() -> !second.archiving()
                && !second.leaseHeld() && first.leaseHeld());
        assertThat(second.problem()).startsWith("standby: the repository's archiver lease is held by another archiver");

        first.stop();
        await().atMost(Duration.ofSeconds(10)).until(second::archiving);
        insert("m1", 21, 40);
        awaitArchived(second, "m1");
        assertThat(chunkRangesOverlap(repo)).as("chunks of the same records stored by both").isFalse();
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 40));
    }

    /**
     * An archiver that finds another's lease in the repository at a renewal (two started at once, or one paused
     * past its lease) stops storing and waits; once that lease goes unrenewed for its time to live, it takes the
     * lease back and archives what it missed.
     */
    @Test
    void anArchiverWhoseLeaseAnotherTookStopsAndTakesItBackOnceThatLeaseRunsOut() throws Exception {
        startPair();
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Archiver archiver = startArchiver(repo, Duration.ofSeconds(2), "m1", "m2");
        await().atMost(Duration.ofSeconds(20)).until(archiver::archiving);
        insert("m1", 1, 10);
        awaitArchived(archiver, "m1");
        byte[] intruder = "{\"holder\":\"intruder\",\"host\":\"elsewhere\",\"renewal\":1,\"ttlMillis\":8000}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // Put again until the archiver has seen it (a renewal under way may write over the first put); the same
        // bytes each time, so the lease stays unchanged for the archiver's clock.
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            repo.put(ArchiverLease.NAME, intruder);
            return !archiver.leaseHeld() && !archiver.archiving() && archiver.problem().startsWith("standby");
        });
        assertThat(archiver.problem()).contains("on elsewhere");
        long chunks = chunkCount(repo);
        insert("m1", 11, 30); // while the intruder holds the lease: streamed by nobody, stored by nobody
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> !archiver.archiving() && chunkCount(repo) == chunks);
        await().atMost(Duration.ofSeconds(20)).until(archiver::archiving);
        awaitArchived(archiver, "m1");
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 30));
    }

    private static long chunkCount(Repository repo) throws IOException {
        return repo.list("wal/").stream().filter(e -> e.name().endsWith(".chunk")).count();
    }

    /** Whether two stored chunks of one history hold a record in common (names: wal/HISTORY/FIRST-LAST-...). */
    private static boolean chunkRangesOverlap(Repository repo) throws IOException {
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("wal/([^/]+)/(\\d{20})-(\\d{20})-.*\\.chunk");
        List<long[]> ranges = new ArrayList<>();
        List<String> histories = new ArrayList<>();
        for (Repository.Entry entry : repo.list("wal/")) {
            java.util.regex.Matcher m = name.matcher(entry.name());
            if (m.matches()) {
                histories.add(m.group(1));
                ranges.add(new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
            }
        }
        assertThat(histories).as("chunks stored").isNotEmpty();
        for (int i = 0; i < ranges.size(); i++) {
            for (int k = i + 1; k < ranges.size(); k++) {
                if (histories.get(i).equals(histories.get(k)) && ranges.get(i)[0] <= ranges.get(k)[1]
                        && ranges.get(k)[0] <= ranges.get(i)[1]) {
                    return true;
                }
            }
        }
        return false;
    }
}
