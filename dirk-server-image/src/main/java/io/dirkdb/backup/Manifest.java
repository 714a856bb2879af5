package io.dirkdb.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * {@code backups/<backupId>/manifest.json}: what a base backup holds. Written last, so its presence means the
 * backup is complete.
 *
 * @param startLsn the snapshot's LSN; @param endLsn the last record of the backup's log (the member's durable log
 * end when the backup was taken); @param endCommitMillis the commit time of record endLsn, or when unknown the
 * time the backup started (no later than it was committed... never earlier), for picking a backup by time
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int format, String backupId, String historyId, long startLsn, long startEpoch, long endLsn,
                       long endEpoch, long epoch, long endCommitMillis, String startedAt, String completedAt,
                       String member, long bytes, List<StoredObject> objects) {
    static final int FORMAT = 1;
    static final String SNAPSHOT = "snapshot.snap";
    static final String LOG = "log.chunk";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** An object of the backup, relative to its directory, with its size and SHA-256 (hex). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StoredObject(String name, long size, String sha256) {}

    StoredObject object(String name) throws BackupException {
        for (StoredObject object : objects) {
            if (object.name().equals(name)) {
                return object;
            }
        }
        throw new BackupException("backup " + backupId + " has no " + name + " in its manifest");
    }

    byte[] toBytes() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    static Manifest read(InputStream in) throws IOException {
        return JSON.readValue(in, Manifest.class);
    }

    /** The one-line summary {@code dirk backup} prints (the contract's termination message). */
    public String summary() throws IOException {
        var node = new ObjectMapper().createObjectNode().put("backupId", backupId).put("historyId", historyId)
                .put("startLsn", startLsn).put("endLsn", endLsn).put("epoch", endEpoch).put("bytes", bytes)
                .put("startedAt", startedAt).put("completedAt", completedAt).put("member", member);
        return new ObjectMapper().writeValueAsString(node);
    }
}
