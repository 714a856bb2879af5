package io.dirkdb.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedRecordSurvivesAKilledProcess() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AcknowledgingWriter.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<Long> acknowledged = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                acknowledged.add(Long.parseLong(line.trim()));
                if (acknowledged.size() == 300) {
                    // Through the handle: Process.destroyForcibly would also close the pipe and lose
                    // acknowledgements printed just before the kill.
                    writer.toHandle().destroyForcibly();
                }
            }
        } finally {
            writer.destroyForcibly();
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(300);
        long lastAcknowledged = acknowledged.get(acknowledged.size() - 1);

        RecordingMachine machine = new RecordingMachine();
        try (Storage storage = Storage.open(dir, machine)) {
            assertThat(storage.lastLsn()).isGreaterThanOrEqualTo(lastAcknowledged);
            assertThat(machine.lsns).containsAll(acknowledged);
            for (int i = 0; i < machine.lsns.size(); i++) {
                assertThat(machine.lsns.get(i)).isEqualTo(i + 1);
            }
            assertThat(storage.append(1, new byte[] {1})).isEqualTo(storage.lastLsn());
        }
    }

    @Test
    void killedWriterReleasesTheDataDirectoryLock() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AcknowledgingWriter.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(lines.readLine()).isEqualTo("1");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Storage.open(dir, new RecordingMachine()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("process " + writer.pid());
        } finally {
            writer.destroyForcibly();
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (Storage storage = Storage.open(dir, new RecordingMachine())) {
            assertThat(storage.lastLsn()).isGreaterThanOrEqualTo(1);
        }
    }
}
