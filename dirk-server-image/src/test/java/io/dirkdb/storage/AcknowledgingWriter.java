package io.dirkdb.storage;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run in a child process by {@link CrashRecoveryTest}: appends records forever, awaiting each,
 * and prints every acknowledged (durable) LSN on its own line, until it is killed.
 */
public final class AcknowledgingWriter {
    private AcknowledgingWriter() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Storage storage = Storage.open(Path.of(args[0]), new RecordingMachine())) {
            byte[] payload = new byte[100];
            for (long i = 1; ; i++) {
                payload[(int) (i % payload.length)]++;
                long lsn = storage.append(1, payload.clone());
                storage.awaitDurable(lsn);
                out.println(lsn);
            }
        }
    }
}
