package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dirkdb.backup.Archiver;
import io.dirkdb.backup.BaseBackup;
import io.dirkdb.backup.Backups;
import io.dirkdb.backup.Manifest;
import io.dirkdb.backup.MemberAccess;
import io.dirkdb.backup.Repositories;
import io.dirkdb.backup.Repository;
import io.dirkdb.backup.Restore;
import io.dirkdb.server.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Backups, archiving, restores and retention against a real S3 API (S3Proxy). */
class S3BackupTest extends ReplicaSetFixture {
    private S3ProxyServer s3;
    private Archiver archiver;
    private Thread archiverThread;

    @AfterEach
    void stopS3() throws Exception {
        if (archiver != null) {
            archiver.stop();
            archiverThread.join(20_000);
        }
        if (s3 != null) {
            s3.close();
        }
    }

    Repository repository(String url) throws Exception {
        return Repositories.open(url, new Repositories.S3Settings(s3.endpoint(), null, true), Map.of());
    }

    MemberAccess access() {
        return new MemberAccess(List.of(new ResyncTool.Endpoint(members.node("m1").host(), members.node("m1").port())),
                null, List.of(), null);
    }

    void insert(int from, int to) throws Exception {
        try (var client = members.connect("m1")) {
            ok(client.execute("ampiasao shop"));
            for (int i = from; i <= to; i++) {
                ok(client.execute("manampia ao@ item (id, name) sanda (" + i + ", 'row" + i + "')"));
            }
        }
    }

    void awaitArchived() throws Exception {
        long lsn = members.heartbeat("m1").path("lsn").asLong();
        await().atMost(Duration.ofSeconds(20)).until(() -> archiver.archivedLsn() >= lsn);
    }

    List<List<Object>> restoreAndRead(Repository repo, Restore.Target target, String id) throws Exception {
        new Restore(repo, line -> { }).run(null, target, root.resolve(id), null);
        members.start(id, Role.PRIMARY, null, 0);
        return members.rows(id, "shop", "alaivo * ao@ item");
    }

    @Test
    void backupArchiveRestoreAndRetentionOnS3() throws Exception {
        s3 = S3ProxyServer.start(root.resolve("s3"), "backups");
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        try (var client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute(BackupRestoreTest.TABLE));
        }
        Repository repo = repository("s3://backups/team/dirk");
        insert(1, 20);
        Manifest first = new BaseBackup(access(), repo).take();
        archiver = new Archiver(access(), repo, Duration.ofMillis(200), 1 << 20, new SimpleMeterRegistry());
        archiverThread = new Thread(archiver::run, "test-archiver");
        archiverThread.start();
        insert(21, 40);
        awaitArchived();
        Manifest second = new BaseBackup(access(), repo).take();
        insert(41, 60);
        awaitArchived();
        Manifest third = new BaseBackup(access(), repo).take();
        insert(61, 70);
        awaitArchived();
        // An interrupted backup's leftovers: objects without a manifest, older than the newest complete backup.
        repo.put("backups/20000101T000000.000Z-00000000000000000001/snapshot.snap", new byte[] {1, 2, 3});

        assertThat(Backups.list(repo).backups()).extracting(Manifest::backupId)
                .containsExactly(first.backupId(), second.backupId(), third.backupId());
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r1")).isEqualTo(BackupRestoreTest.rows(1, 70));
        // From the first backup through the archive, to an LSN in the middle.
        assertThat(restoreAndRead(repo, new Restore.Target(first.endLsn() + 10, null), "r2"))
                .isEqualTo(BackupRestoreTest.rows(1, 30));

        List<String> deleted = Backups.prune(repo, 2, null, false);
        assertThat(deleted).anyMatch(name -> name.startsWith("backups/" + first.backupId() + "/"))
                .anyMatch(name -> name.startsWith("backups/20000101T000000.000Z-"))
                .noneMatch(name -> name.contains(second.backupId()) || name.contains(third.backupId()));
        // Every archived chunk left continues past the oldest kept backup; those it needs are all there.
        for (Repository.Entry entry : repo.list("wal/")) {
            if (entry.name().endsWith(".chunk")) {
                long last = Long.parseLong(entry.name().replaceAll(".*/\\d{20}-(\\d{20})-.*", "$1"));
                assertThat(last).isGreaterThan(second.endLsn());
            }
        }
        assertThat(deleted).anyMatch(name -> name.startsWith("wal/"));
        assertThat(Backups.list(repo).backups()).extracting(Manifest::backupId)
                .containsExactly(second.backupId(), third.backupId());
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r3")).isEqualTo(BackupRestoreTest.rows(1, 70));
        assertThat(restoreAndRead(repo, new Restore.Target(second.endLsn() + 5, null), "r4"))
                .isEqualTo(BackupRestoreTest.rows(1, 45));
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, new Restore.Target(first.endLsn() + 10, null),
                root.resolve("r5"), null)).hasMessageContaining("before the oldest backup");
        // The newest backup is kept whatever the limits say.
        Backups.prune(repo, 1, Duration.ofSeconds(0), false);
        assertThat(Backups.list(repo).backups()).extracting(Manifest::backupId).containsExactly(third.backupId());
        assertThat(restoreAndRead(repo, Restore.Target.LATEST, "r6")).isEqualTo(BackupRestoreTest.rows(1, 70));
        // A missing object on S3 is refused clearly.
        repo.delete("backups/" + third.backupId() + "/log.chunk");
        assertThatThrownBy(() -> new Restore(repo, line -> { }).run(null, Restore.Target.LATEST, root.resolve("r7"), null))
                .hasMessageContaining("is missing");
    }

    /** Runs {@code dirk ARGS} in a child process with {@code environment}; returns exit code, stdout and stderr. */
    private String[] dirkProcess(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        java.nio.file.Path err = java.nio.file.Files.createTempFile(root, "err", ".txt");
        Process process = builder.redirectError(err.toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        return new String[] {Integer.toString(process.exitValue()), out, java.nio.file.Files.readString(err)};
    }

    @Test
    void theCommandsTakeTheirS3SettingsAndCredentialsFromTheEnvironment() throws Exception {
        s3 = S3ProxyServer.start(root.resolve("s3"), "backups");
        members = new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC));
        members.startPrimary("m1");
        try (var client = members.connect("m1")) {
            ok(client.execute("manamboara tahiry shop"));
            ok(client.execute("ampiasao shop"));
            ok(client.execute(BackupRestoreTest.TABLE));
        }
        insert(1, 5);
        Map<String, String> environment = Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY, "DIRK_S3_ENDPOINT", s3.endpoint(),
                "DIRK_S3_PATH_STYLE", "true", "DIRK_S3_REGION", "eu-west-3");
        String member = members.node("m1").host() + ":" + members.node("m1").port();
        String[] backup = dirkProcess(environment, "backup", "--members", member, "--repository", "s3://backups/cli");
        assertThat(backup[0]).as(backup[2]).isEqualTo("0");
        assertThat(backup[1]).contains("\"endLsn\":7"); // the database, the table, five rows
        assertThat(backup[2]).doesNotContain("SLF4J");
        String[] list = dirkProcess(environment, "backup", "list", "--repository", "s3://backups/cli", "--json");
        assertThat(list[0]).as(list[2]).isEqualTo("0");
        assertThat(list[1].strip().lines()).hasSize(1);
        String[] restore = dirkProcess(environment, "restore", "--repository", "s3://backups/cli", "--data-dir",
                root.resolve("r1").toString());
        assertThat(restore[0]).as(restore[2]).isEqualTo("0");
        members.start("r1", Role.PRIMARY, null, 0);
        assertThat(members.rows("r1", "shop", "alaivo * ao@ item")).isEqualTo(BackupRestoreTest.rows(1, 5));
        // Wrong credentials: one clear line, exit 1.
        Map<String, String> wrong = new java.util.HashMap<>(environment);
        wrong.put("AWS_SECRET_ACCESS_KEY", "not-the-secret");
        String[] refused = dirkProcess(wrong, "backup", "list", "--repository", "s3://backups/cli");
        assertThat(refused[0]).isEqualTo("1");
        assertThat(refused[2]).startsWith("dirk backup list: listing backups/* in s3://backups/cli/");
    }

    @Test
    void aFileLargerThanAPartGoesUpInPartsAndReadsBackWholeWithNoUploadLeftOpen() throws Exception {
        s3 = S3ProxyServer.start(root.resolve("s3"), "backups");
        java.nio.file.Path file = root.resolve("big.bin");
        byte[] data = new byte[12 * 1024 * 1024 + 1]; // 5 + 5 + 2 MiB and a byte
        new java.util.Random(7).nextBytes(data);
        java.nio.file.Files.write(file, data);
        try (Repository repo = Repositories.open("s3://backups/parts", new Repositories.S3Settings(s3.endpoint(), null,
                true), Map.of("DIRK_S3_PART_MB", "5"))) {
            repo.put("base/big.bin", file);
            assertThat(repo.list("base/")).extracting(Repository.Entry::size).containsExactly((long) data.length);
            try (java.io.InputStream in = repo.get("base/big.bin")) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
        try (software.amazon.awssdk.services.s3.S3Client raw = software.amazon.awssdk.services.s3.S3Client.builder()
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .endpointOverride(java.net.URI.create(s3.endpoint())).forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).build()) {
            // A multipart object's ETag ends with its part count; a single PUT's does not.
            assertThat(raw.headObject(b -> b.bucket("backups").key("parts/base/big.bin")).eTag()).endsWith("-3\"");
            assertThat(raw.listMultipartUploads(b -> b.bucket("backups")).uploads()).as("uploads left open").isEmpty();
        }
    }

    @Test
    void aPartSizeS3DoesNotTakeIsRefusedWithTheRangeItTakes() throws Exception {
        s3 = S3ProxyServer.start(root.resolve("s3"), "backups");
        for (String size : List.of("1", "6000", "big")) {
            assertThatThrownBy(() -> Repositories.open("s3://backups/parts", new Repositories.S3Settings(s3.endpoint(),
                    null, true), Map.of("DIRK_S3_PART_MB", size)))
                    .hasMessageContaining("DIRK_S3_PART_MB=" + size + " is not a part size S3 takes")
                    .hasMessageContaining("from 5 to 5120");
        }
    }
}
