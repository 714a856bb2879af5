package io.dirkdb.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** What the log is applied to. The engine implements it; storage never looks inside. */
public interface StateMachine {

    /** Applies one record, in LSN order (recovery and, later, replication). */
    void apply(LogRecord record);

    /** Writes the whole state; called while no record is being applied. */
    void writeSnapshot(OutputStream out) throws IOException;

    /** Replaces the whole state by the one a snapshot holds. */
    void readSnapshot(InputStream in) throws IOException;

    /** A state decoded from a snapshot and kept aside, not in use yet. */
    @FunctionalInterface
    interface DecodedSnapshot {
        /** Makes the decoded state the current one. */
        void install() throws IOException;
    }

    /**
     * Decodes a snapshot into a state kept aside, so that storage can decode a shipped snapshot
     * before it replaces anything, and make it current only once the new snapshot is in place. It
     * must not touch the current state. The default keeps the bytes and decodes them on install.
     */
    default DecodedSnapshot decodeSnapshot(InputStream in) throws IOException {
        byte[] content = in.readAllBytes();
        return () -> readSnapshot(new ByteArrayInputStream(content));
    }
}
