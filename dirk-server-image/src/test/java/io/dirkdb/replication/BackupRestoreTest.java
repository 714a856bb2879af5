package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.backup.Backups;
import io.dirkdb.backup.BaseBackup;
import io.dirkdb.backup.DirectoryRepository;
import io.dirkdb.backup.Manifest;
import io.dirkdb.backup.MemberAccess;
import io.dirkdb.backup.Repository;
import io.dirkdb.backup.Restore;
import io.dirkdb.cli.Dirk;
import io.dirkdb.server.MemberState;
import io.dirkdb.server.Role;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Base backups of real members, restored with {@code dirk restore} into data directories real members open. */
class BackupRestoreTest extends ReplicaSetFixture {

    static final String TABLE = "manamboara tabilao item(id ISA(null,null), name LAHATSORATRA(null,null))";

    void startPair() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        members.startSecondary("m2", "m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        try (var client = members.connect("m1")) {
            ok(client.execute("ampiasao shop"));
            ok(client.execute(TABLE));
        }
    }

    void insert(String member, int from, int to) throws Exception {
        try (var client = members.connect(member)) {
            ok(client.execute("ampiasao shop"));
            for (int i = from; i <= to; i++) {
                ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'row" + i + "')"));
            }
        }
    }

    MemberAccess access(String... ids) {
        List<ResyncTool.Endpoint> endpoints = new ArrayList<>();
        for (String id : ids) {
            endpoints.add(new ResyncTool.Endpoint(members.node(id).host(), members.node(id).port()));
        }
        return new MemberAccess(endpoints, null, List.of(), null);
    }

    static List<List<Object>> rows(int from, int to) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            rows.add(List.of((long) i, "row" + i));
        }
        return rows;
    }

    /** Runs a dirk command in-process; returns its exit code, stdout and stderr. */
    static String[] dirk(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Dirk.commandLine().execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void backupOfASecondaryRestoresToAPrimaryOfANewHistoryThatASecondMemberJoins() throws Exception {
        startPair();
        insert("m1", 1, 50);
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        Path repo = root.resolve("repo");
        String m1 = members.node("m1").host() + ":" + members.node("m1").port();
        String m2 = members.node("m2").host() + ":" + members.node("m2").port();
        Path message = root.resolve("termination-log");
        String[] backup = dirk("backup", "--members", m1 + "," + m2, "--repository", repo.toUri().toString(),
                "--termination-message-path", message.toString());
        assertThat(backup[0]).as(backup[2]).isEqualTo("0");
        JsonNode summary = new ObjectMapper().readTree(backup[1].strip());
        assertThat(summary.path("member").asText()).isEqualTo(m2); // a caught-up secondary, not the primary
        assertThat(summary.path("endLsn").asLong()).isEqualTo(members.heartbeat("m1").path("lsn").asLong());
        assertThat(summary.path("historyId").asText()).isEqualTo(members.heartbeat("m1").path("historyId").asText());
        assertThat(new ObjectMapper().readTree(Files.readString(message))).isEqualTo(summary);
        insert("m1", 51, 60); // after the backup: not in it

        String[] list = dirk("backup", "list", "--repository", repo.toString());
        assertThat(list[1]).contains(summary.path("backupId").asText());

        Path restored = root.resolve("r1");
        String[] restore = dirk("restore", "--repository", repo.toString(), "--data-dir", restored.toString());
        assertThat(restore[0]).as(restore[2]).isEqualTo("0");
        MemberState state = MemberState.load(restored);
        assertThat(state.role()).isEqualTo(Role.PRIMARY);
        assertThat(state.historyId()).isNotEqualTo(summary.path("historyId").asText());
        assertThat(Files.exists(root.resolve("r1.restoring"))).isFalse();

        members.start("r1", Role.PRIMARY, null, 0);
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(rows(1, 50));
        assertThat(members.heartbeat("r1").path("historyId").asText()).isEqualTo(state.historyId());
        insert("r1", 51, 55); // takes writes as a primary
        members.start("r2", Role.SECONDARY, null, 0);
        ok(members.execute("r2", "dirk resync '" + members.node("r1").host() + "' " + members.node("r1").port()));
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() ->
                assertThat(members.rows("r2", "shop", "alaivo * ao@ item")).isEqualTo(rows(1, 55)));

        String[] again = dirk("restore", "--repository", repo.toString(), "--data-dir", restored.toString());
        assertThat(again[0]).isEqualTo("1");
        assertThat(again[2]).contains("already holds a member's data");
        String[] ifEmpty = dirk("restore", "--repository", repo.toString(), "--data-dir", restored.toString(), "--if-empty");
        assertThat(ifEmpty[0]).isEqualTo("0");
    }

    @Test
    void restoreRefusesTargetsBeforeTheOldestBackupOrBeyondTheRepository() throws Exception {
        startPair();
        insert("m1", 1, 20);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Manifest manifest = new BaseBackup(access("m1"), repo).take();
        assertThat(manifest.member()).isEqualTo(members.node("m1").host() + ":" + members.node("m1").port());
        long end = manifest.endLsn();
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, new Restore.Target(end - 5, null),
                root.resolve("r1"), null)).hasMessageContaining("is before the oldest backup");
        new Restore(repo, line -> { }).run(null, new Restore.Target(end, null), root.resolve("r1"), null);
        members.start("r1", Role.PRIMARY, null, 0);
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(rows(1, 20));
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, new Restore.Target(end + 1, null),
                root.resolve("r2"), null)).hasMessageContaining("beyond what the repository holds");
        assertThat(Files.exists(root.resolve("r2"))).isFalse();
    }

    @Test
    void theReplicationCredentialIsEnoughToBackUpAndAWrongOneIsRefusedClearly() throws Exception {
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC).withPeerPassword("repl-pw"))
                .withCredentials(new io.dirkdb.server.Credentials("app-pw", "repl-pw", "admin-pw"));
        members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));
        List<ResyncTool.Endpoint> endpoints = List.of(new ResyncTool.Endpoint(members.node("m1").host(), members.node("m1").port()));
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Manifest manifest = new BaseBackup(new MemberAccess(endpoints, "repl-pw", List.of(), null), repo).take();
        assertThat(manifest.endLsn()).isEqualTo(1);
        assertThatThrownBy(() -> new BaseBackup(new MemberAccess(endpoints, "app-pw", List.of(), null), repo).take())
                .hasMessageContaining("needs the replication credential");
        assertThatThrownBy(() -> new BaseBackup(new MemberAccess(endpoints, "wrong", List.of(), null), repo).take())
                .hasMessageContaining("no primary among the members").hasMessageContaining("password");
    }

    @Test
    void aFailedBackupExitsOneWithItsReasonInTheTerminationMessage() throws Exception {
        Path message = root.resolve("termination-log");
        String[] backup = dirk("backup", "--members", "127.0.0.1:1", "--repository", root.resolve("repo").toString(),
                "--termination-message-path", message.toString());
        assertThat(backup[0]).isEqualTo("1");
        assertThat(backup[2]).startsWith("dirk backup: no primary among the members: 127.0.0.1:1 does not answer");
        JsonNode error = new ObjectMapper().readTree(Files.readString(message));
        assertThat(error.path("error").asText()).startsWith("no primary among the members");
        assertThat(Files.exists(root.resolve("repo"))).isFalse();
        String[] usage = dirk("backup", "--repository", root.resolve("repo").toString());
        assertThat(usage[0]).isEqualTo("2");
        assertThat(usage[2]).contains("--members is required");
    }

    @Test
    void pruneLeavesABackupBeingWrittenByAnotherProcessEvenWhenANewerOneCompleted() throws Exception {
        startPair();
        insert("m1", 1, 20);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        // A slow backup: its objects are stored, its manifest waits (a big upload, a slow network).
        CountDownLatch atManifest = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Repository slow = new Repository() {
            public void put(String name, Path file) throws IOException { repo.put(name, file); }
            public void put(String name, byte[] bytes) throws IOException {
                if (name.endsWith("/manifest.json")) {
                    atManifest.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                repo.put(name, bytes);
            }
            public InputStream get(String name) throws IOException { return repo.get(name); }
            public List<Entry> list(String prefix) throws IOException { return repo.list(prefix); }
            public void delete(String name) throws IOException { repo.delete(name); }
            public String describe() { return repo.describe(); }
        };
        CompletableFuture<Manifest> first = CompletableFuture.supplyAsync(() -> {
            try {
                return new BaseBackup(access("m1", "m2"), slow).take();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> atManifest.getCount() == 0 || first.isDone());
            assertThat(first).isNotDone();
            long startedAfter = System.currentTimeMillis();
            await().until(() -> System.currentTimeMillis() > startedAfter); // the second backup's id sorts later
            new BaseBackup(access("m1"), repo).take(); // another process completes a newer backup
            Backups.prune(repo, null, null, false); // and the nightly prune runs
        } finally {
            release.countDown();
        }
        Manifest slowBackup = first.get(30, TimeUnit.SECONDS);
        new Restore(repo, line -> { }).run(slowBackup.backupId(), Restore.Target.LATEST, root.resolve("r1"), null);
        members.start("r1", Role.PRIMARY, null, 0);
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(rows(1, 20));
    }

    @Test
    void restoreRefusesADataDirectoryThatIsAFileAndLeavesTheFile() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        new BaseBackup(access("m1"), repo).take();
        Path file = root.resolve("notes.txt");
        Files.writeString(file, "not a data directory");
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, file, null))
                .hasMessageContaining("is not a directory");
        assertThat(Files.readString(file)).isEqualTo("not a data directory");
        assertThat(Files.exists(root.resolve("notes.txt.restoring"))).isFalse();
    }

    @Test
    void aBackupWhoseObjectsWereDeletedBeforeItsManifestFailsAndLeavesNoManifest() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        // A prune that does not know this backup is being written deletes its objects just before the manifest.
        Repository pruned = new Repository() {
            public void put(String name, Path file) throws IOException { repo.put(name, file); }
            public void put(String name, byte[] bytes) throws IOException {
                if (name.endsWith("/manifest.json")) {
                    repo.delete(name.replace("manifest.json", "snapshot.snap"));
                }
                repo.put(name, bytes);
            }
            public InputStream get(String name) throws IOException { return repo.get(name); }
            public List<Entry> list(String prefix) throws IOException { return repo.list(prefix); }
            public void delete(String name) throws IOException { repo.delete(name); }
            public String describe() { return repo.describe(); }
        };
        assertThatThrownBy(() -> new BaseBackup(access("m1"), pruned).take())
                .hasMessageContaining("were deleted").hasMessageContaining("it is not stored");
        assertThat(Backups.list(repo).backups()).isEmpty();
    }

    @Test
    void repositoryUrlsWithoutABucketOrWithARelativeFilePathAreRefusedWithASentence() {
        for (String url : List.of("s3://", "s3:///prefix", "file://relative/repo", "file:relative", "s3://bucket name/x")) {
            assertThatThrownBy(() -> io.dirkdb.backup.Repositories.open(url, null, java.util.Map.of()))
                    .as(url).isInstanceOf(io.dirkdb.backup.BackupException.class)
                    .hasMessageStartingWith("the repository " + url + " ");
        }
    }

    @Test
    void aDamagedManifestIsListedAndSkippedWhileTheOtherBackupsStillRestore() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Manifest good = new BaseBackup(access("m1"), repo).take();
        String garbled = "29991231T000000.000Z-00000000000000000009";
        String copied = "29991231T000000.001Z-00000000000000000009";
        repo.put("backups/" + garbled + "/manifest.json", "{\"format\":1,\"backupId\":".getBytes(StandardCharsets.UTF_8));
        try (InputStream in = repo.get("backups/" + good.backupId() + "/manifest.json")) {
            repo.put("backups/" + copied + "/manifest.json", in.readAllBytes()); // names another backup's objects
        }
        assertThat(Backups.list(repo).backups()).extracting(Manifest::backupId).containsExactly(good.backupId());
        assertThat(String.join("\n", Backups.list(repo).archiveSummary()))
                .contains("damaged backup " + garbled).contains("damaged backup " + copied);
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(garbled, Restore.Target.LATEST, root.resolve("r2"), null))
                .hasMessageContaining("backup " + garbled + " is damaged");
        assertThat(Backups.prune(repo, 1, null, false)).isEmpty();
        new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null);
        members.start("r1", Role.PRIMARY, null, 0);
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(rows(1, 5));
    }

    @Test
    void aBackupIsNotTakenFromASecondaryStillFollowingADeposedPrimary() throws Exception {
        startPair();
        members.startSecondary("m3", "m1");
        insert("m1", 1, 5);
        long forkedAt = members.heartbeat("m1").path("lsn").asLong();
        awaitLsn("m2", forkedAt);
        awaitLsn("m3", forkedAt);
        ok(members.execute("m3", "dirk promote 2")); // m1 has not heard of it yet: m2 still follows m1
        insert("m1", 6, 10); // lost: the new primary never had them
        awaitLsn("m2", members.heartbeat("m1").path("lsn").asLong());
        insert("m3", 106, 107);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Manifest manifest = new BaseBackup(access("m1", "m2", "m3"), repo).take();
        assertThat(manifest.member()).isEqualTo(members.node("m3").host() + ":" + members.node("m3").port());
        new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null);
        members.start("r1", Role.PRIMARY, null, 0);
        List<List<Object>> expected = new ArrayList<>(rows(1, 5));
        expected.addAll(rows(106, 107));
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(expected);
        // A secondary of the new primary is at its epoch: backups come from it again, not from the primary.
        members.startSecondary("m4", "m3");
        awaitLsn("m4", members.heartbeat("m3").path("lsn").asLong());
        Manifest fromSecondary = new BaseBackup(access("m3", "m4"), repo).take();
        assertThat(fromSecondary.member()).isEqualTo(members.node("m4").host() + ":" + members.node("m4").port());
    }

    @Test
    void anObjectLargerThanItsManifestSaysIsRefusedWithoutReadingItAll() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        new BaseBackup(access("m1"), repo).take();
        long limit = 64L << 20;
        long[] served = new long[1];
        // Its log.chunk never ends (a wrong object, a hostile store): the restore must stop at the size it expects.
        Repository endless = new Repository() {
            public void put(String name, Path file) throws IOException { repo.put(name, file); }
            public void put(String name, byte[] bytes) throws IOException { repo.put(name, bytes); }
            public InputStream get(String name) throws IOException {
                if (!name.endsWith("/log.chunk")) {
                    return repo.get(name);
                }
                return new InputStream() {
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        if (served[0] >= limit) {
                            throw new IOException("served " + limit + " bytes of a never-ending object");
                        }
                        served[0] += length;
                        return length;
                    }
                };
            }
            public List<Entry> list(String prefix) throws IOException { return repo.list(prefix); }
            public void delete(String name) throws IOException { repo.delete(name); }
            public String describe() { return repo.describe(); }
        };
        assertThatThrownBy(() -> new Restore(endless, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null))
                .hasMessageContaining("is damaged").hasMessageContaining("more than");
        assertThat(served[0]).isLessThan(limit);
        assertThat(Files.exists(root.resolve("r1"))).isFalse();
    }

    @Test
    void aSnapshotObjectFollowedByEndlessBytesIsRefusedWithoutReadingThemAll() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        new BaseBackup(access("m1"), repo).take();
        long limit = 64L << 20;
        long[] served = new long[1];
        Repository trailing = new Repository() {
            public void put(String name, Path file) throws IOException { repo.put(name, file); }
            public void put(String name, byte[] bytes) throws IOException { repo.put(name, bytes); }
            public InputStream get(String name) throws IOException {
                if (!name.endsWith("/snapshot.snap")) {
                    return repo.get(name);
                }
                return new java.io.SequenceInputStream(repo.get(name), new InputStream() {
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        if (served[0] >= limit) {
                            throw new IOException("served " + limit + " bytes after the snapshot");
                        }
                        served[0] += length;
                        return length;
                    }
                });
            }
            public List<Entry> list(String prefix) throws IOException { return repo.list(prefix); }
            public void delete(String name) throws IOException { repo.delete(name); }
            public String describe() { return repo.describe(); }
        };
        assertThatThrownBy(() -> new Restore(trailing, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"), null))
                .hasMessageContaining("snapshot.snap is damaged");
        assertThat(served[0]).isLessThan(limit);
        assertThat(Files.exists(root.resolve("r1"))).isFalse();
    }

    @Test
    void restoreRefusesAHistoryIdTheRepositoryAlreadyHolds() throws Exception {
        startPair();
        insert("m1", 1, 5);
        Repository repo = new DirectoryRepository(root.resolve("repo"));
        Manifest manifest = new BaseBackup(access("m1"), repo).take();
        // Reusing the source cluster's id would let the restored member join it, and mix its archive into the old one.
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r1"),
                manifest.historyId())).hasMessageContaining("already holds history " + manifest.historyId());
        assertThat(Files.exists(root.resolve("r1"))).isFalse();
        assertThat(Files.exists(root.resolve("r1.restoring"))).isFalse();
    }
}
