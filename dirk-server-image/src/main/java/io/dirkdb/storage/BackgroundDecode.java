package io.dirkdb.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Decodes a shipped snapshot's content on a thread of its own while the receiving thread is
 * still checksumming and writing it, so the decode overlaps the transfer and the fsync. The
 * decoded state is only handed back; whoever received the snapshot installs it once the
 * checksum held and the file is in place.
 */
final class BackgroundDecode {
    private static final ByteBuffer END = ByteBuffer.allocate(0);
    private static final ByteBuffer ABANDONED = ByteBuffer.allocate(0);
    /** Chunks received but not decoded yet; bounds the memory the decode may fall behind by. */
    private static final int QUEUED_CHUNKS = 8;

    private final BlockingQueue<ByteBuffer> chunks = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private final CompletableFuture<StateMachine.DecodedSnapshot> result = new CompletableFuture<>();

    BackgroundDecode(StateMachine machine) {
        Content content = new Content();
        Thread thread = new Thread(() -> {
            try {
                result.complete(machine.decodeSnapshot(content));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            } finally {
                content.drain(); // the receiver must never block on a queue nobody empties
            }
        }, "dirk-snapshot-decode");
        thread.setDaemon(true);
        thread.start();
    }

    /** Hands over the next content bytes; the decoder owns {@code chunk} from now on. */
    void feed(byte[] chunk, int length) throws IOException {
        put(ByteBuffer.wrap(chunk, 0, length));
    }

    /** Says the content is complete, then waits for the decoded state. */
    StateMachine.DecodedSnapshot finish() throws IOException {
        put(END);
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decoding the shipped snapshot");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw new IOException("the shipped snapshot could not be decoded: " + io.getMessage(), io);
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException("the shipped snapshot could not be decoded", cause);
        }
    }

    /** Stops the decode after a failed transfer; its result is never used. */
    void abandon() {
        result.cancel(false);
        boolean interrupted = Thread.interrupted();
        while (true) {
            try {
                chunks.put(ABANDONED);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void put(ByteBuffer chunk) throws IOException {
        try {
            chunks.put(chunk);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while receiving the shipped snapshot");
        }
    }

    /** The decoder's view: the chunks in order, then end of stream (or an error if abandoned). */
    private final class Content extends InputStream {
        private ByteBuffer current = ByteBuffer.allocate(0);
        private boolean over;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!current.hasRemaining()) {
                if (over) {
                    return -1;
                }
                ByteBuffer next = take();
                if (next == END) {
                    over = true;
                    return -1;
                }
                if (next == ABANDONED) {
                    over = true;
                    throw new IOException("the shipped snapshot did not arrive whole");
                }
                current = next;
            }
            int n = Math.min(len, current.remaining());
            current.get(b, off, n);
            return n;
        }

        /** Discards what is left up to the end, so a decoder that stopped early never stalls the receiver. */
        void drain() {
            while (!over) {
                ByteBuffer next;
                try {
                    next = take();
                } catch (IOException e) {
                    return;
                }
                over = next == END || next == ABANDONED;
            }
        }

        private ByteBuffer take() throws IOException {
            try {
                return chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while decoding the shipped snapshot");
            }
        }
    }
}
