package io.dirkdb.storage;

/**
 * One record of the write-ahead log: the changes of one statement, opaque to the
 * storage layer, stamped with its log sequence number and the epoch of the primary
 * that wrote it.
 */
public record LogRecord(long lsn, long epoch, byte[] payload) {}
