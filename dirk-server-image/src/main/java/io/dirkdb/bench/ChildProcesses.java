package io.dirkdb.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processes a benchmark starts, each writing its output to a log file of its own; {@link #close()}
 * stops those still running, the last started first (clients before the servers they talk to), and may be
 * called from a shutdown hook while another thread still starts or waits on processes.
 */
public final class ChildProcesses implements AutoCloseable {
    /** How long a process may take to stop on SIGTERM before it and its own children are killed. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final Path logDirectory;
    private final Deque<Process> running = new ArrayDeque<>(); // guarded by this
    private boolean closed; // guarded by this
    private int started; // guarded by this

    public ChildProcesses(Path logDirectory) throws IOException {
        this.logDirectory = Files.createDirectories(logDirectory);
    }

    /** A process started here and the file its standard output and error go to. */
    public record Child(String name, Process process, Path log) {
        /** The last lines of its log, for an error message. */
        public String logTail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }
    }

    /** What a process that ran to its end printed, and its exit code. */
    public record Finished(int exitCode, String output) {}

    /**
     * Starts {@code command} with {@code environment} added to this one's (an empty value removes the variable).
     *
     * @throws IOException once closed
     */
    public Child start(String name, List<String> command, Map<String, String> environment) throws IOException {
        Path log;
        synchronized (this) {
            if (closed) {
                throw new IOException("stopping: " + name + " is not started");
            }
            log = logDirectory.resolve(String.format("%02d-%s.log", ++started, name));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        environment.forEach((variable, value) -> {
            if (value.isEmpty()) {
                builder.environment().remove(variable);
            } else {
                builder.environment().put(variable, value);
            }
        });
        Process process = builder.start();
        synchronized (this) {
            running.push(process);
            if (closed) { // close() ran while it started: it must not outlive it
                running.remove(process);
                stop(process);
                throw new IOException("stopping: " + name + " is not started");
            }
        }
        return new Child(name, process, log);
    }

    /**
     * Waits until a line of {@code child}'s log matches {@code pattern}.
     *
     * @throws IOException naming the child, with its log's last lines, when it exits or the time runs out first
     */
    public static Matcher awaitLine(Child child, Pattern pattern, Duration timeout) throws IOException,
            InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean exited = !child.process().isAlive();
            for (String line : Files.readAllLines(child.log(), StandardCharsets.UTF_8)) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return matcher;
                }
            }
            if (exited) {
                throw new IOException(child.name() + " exited with code " + child.process().exitValue()
                        + " before it was ready; its last lines:\n" + child.logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(child.name() + " was not ready within " + timeout.toSeconds()
                        + " s; its last lines:\n" + child.logTail());
            }
            Thread.sleep(50); // a log file gives no signal to await
        }
    }

    /** Runs {@code command} to its end (stopped after {@code timeout}). */
    public Finished run(String name, List<String> command, Map<String, String> environment, Duration timeout)
            throws IOException, InterruptedException {
        Child child = start(name, command, environment);
        try {
            if (!child.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(name + " did not finish within " + timeout.toSeconds() + " s; its last lines:\n"
                        + child.logTail());
            }
            return new Finished(child.process().exitValue(), Files.readString(child.log(), StandardCharsets.UTF_8));
        } finally {
            synchronized (this) {
                running.remove(child.process());
            }
            stop(child.process());
        }
    }

    /** Stops every process still running, the last started first, and waits until each has exited. */
    @Override
    public void close() {
        while (true) {
            Process next;
            synchronized (this) {
                closed = true;
                next = running.poll();
            }
            if (next == null) {
                return;
            }
            stop(next);
        }
    }

    /** SIGTERM (a clean stop); after the grace, SIGKILL to it and to every process it started. */
    private static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                descendants.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
            // A child it started and left running (none should) must not outlive the benchmark either.
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        } catch (InterruptedException e) {
            descendants.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
