package io.dirkdb.backup;

import java.io.IOException;

/** A backup, archive or restore that cannot go on; the message is a sentence for the user. */
public class BackupException extends IOException {
    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
