package io.dirkdb.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;

/**
 * {@code wal/<historyId>/status.json}: how far the archiver got. {@code completeUntilMillis} is a time at which the
 * archive held every record the primary had made durable ({@code lastLsn} was its log end), so a restore to a time
 * at or before it that finds no later record is complete.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ArchiveStatus(long lastLsn, long lastEpoch, long completeUntilMillis, String primary) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String name(String historyId) {
        return Layout.WAL + historyId + "/status.json";
    }

    void write(Repository repository, String historyId) throws IOException {
        repository.put(name(historyId), JSON.writeValueAsBytes(this));
    }

    static ArchiveStatus read(Repository repository, String historyId) throws IOException {
        try (InputStream in = repository.get(name(historyId))) {
            return JSON.readValue(in, ArchiveStatus.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The time up to which the archive is known complete when its log ends at {@code lastLsn}; 0 when unknown. */
    static long completeUntil(Repository repository, String historyId, long lastLsn) {
        try {
            ArchiveStatus status = read(repository, historyId);
            return status != null && status.lastLsn() == lastLsn ? status.completeUntilMillis() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
