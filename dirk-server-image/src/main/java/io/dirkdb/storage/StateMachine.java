package io.dirkdb.storage;

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
}
