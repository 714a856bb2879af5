package io.dirkdb.proxy;

import io.dirkdb.heartbeat.MemberAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Rereads the configuration file every interval and hands a changed member list on, so that the
 * proxy follows a cluster scaled by the operator (which rewrites config.json in its ConfigMap)
 * without a restart. A file that cannot be read or checked leaves the members as they are.
 */
public final class MemberListWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.dirkdb.proxy");

    private final Path file;
    private final Function<Path, List<MemberAddress>> loader;
    private final Consumer<List<MemberAddress>> onChange;
    private final ScheduledExecutorService scheduler;
    private byte[] lastContent;
    private List<MemberAddress> lastMembers;

    /**
     * @param loader reads the member list from the file; throws with a message naming what is wrong
     * @param current the members in use now
     */
    public MemberListWatcher(Path file, Function<Path, List<MemberAddress>> loader, List<MemberAddress> current,
            Consumer<List<MemberAddress>> onChange) {
        this.file = file;
        this.loader = loader;
        this.onChange = onChange;
        this.lastMembers = List.copyOf(current);
        this.lastContent = read();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "dirk-config-watch");
            thread.setDaemon(true);
            return thread;
        });
    }

    public MemberListWatcher start(long intervalMillis) {
        scheduler.scheduleWithFixedDelay(this::check, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Looks at the file once: hands the members on if they changed. */
    public synchronized void check() {
        byte[] content = read();
        if (content == null || Arrays.equals(content, lastContent)) {
            return;
        }
        lastContent = content;
        List<MemberAddress> members;
        try {
            members = List.copyOf(loader.apply(file));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the members stay as they are: " + e.getMessage());
            return;
        }
        if (members.equals(lastMembers)) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "members changed in " + file + ": " + members);
        try {
            onChange.accept(members);
            lastMembers = members;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the members stay as they are: " + e.getMessage());
        }
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            // A ConfigMap update swaps a symbolic link: the next look finds the new file.
            return null;
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
