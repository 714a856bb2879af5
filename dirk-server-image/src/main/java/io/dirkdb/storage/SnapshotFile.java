package io.dirkdb.storage;

import java.nio.file.Path;

/**
 * A snapshot in place in the data directory. Its bytes (header included, see
 * docs/storage-format.md) are what a resync ships and {@link Storage#installSnapshot} takes.
 *
 * @param path     the file; it may be deleted by a later checkpoint, so open it once and stream from the open handle
 * @param lsn      every record up to and including this LSN is in the snapshot
 * @param epoch    epoch of the record at {@code lsn} when the snapshot was taken
 * @param size     file size in bytes, header included
 * @param checksum CRC32C of the content after the header
 * @param historyId the history in its header, or null (a version 1 snapshot, or one taken before the history was known)
 * @param headerBytes the size of its header (by format version)
 */
public record SnapshotFile(Path path, long lsn, long epoch, long size, int checksum, String historyId, int headerBytes) {}
