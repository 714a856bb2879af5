package io.dirkdb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A file channel with the faults of a real disk put in on purpose: writes and forces fail with a
 * chosen error (as on a full disk), and forces take a chosen time (a slow disk).
 */
final class FaultyChannel extends FileChannel {
    private final FileChannel delegate;
    private final AtomicReference<IOException> nextFault;
    private final long forceLatencyNanos;
    /** Forces that reached the file. */
    final java.util.concurrent.atomic.AtomicInteger forces = new java.util.concurrent.atomic.AtomicInteger();

    FaultyChannel(FileChannel delegate, AtomicReference<IOException> nextFault) {
        this(delegate, nextFault, 0);
    }

    FaultyChannel(FileChannel delegate, AtomicReference<IOException> nextFault, long forceLatencyNanos) {
        this.delegate = delegate;
        this.nextFault = nextFault;
        this.forceLatencyNanos = forceLatencyNanos;
    }

    private void maybeFail() throws IOException {
        IOException fault = nextFault.get();
        if (fault != null) {
            throw fault;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        maybeFail();
        return delegate.write(src);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        maybeFail();
        long start = System.nanoTime();
        delegate.force(metaData);
        forces.incrementAndGet();
        // Stands in for disk latency so the test does not depend on how fast this machine's fsync is.
        long left = forceLatencyNanos - (System.nanoTime() - start);
        if (left > 0) {
            LockSupport.parkNanos(left);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        maybeFail();
        return delegate.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        delegate.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        maybeFail();
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        maybeFail();
        return delegate.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
