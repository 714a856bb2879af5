package io.dirkdb.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One process of a fault run (a member, the proxy, the control node), possibly inside a network
 * namespace ({@code ip netns exec} replaces itself with the program, so the pid is the program's):
 * stderr to a log file, stdout lines to a listener, and the signals a fault needs.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Path log;
    private final Consumer<String> lines;
    private Process process;
    private boolean stopped;

    ChildProcess(String name, List<String> command, Path log, Consumer<String> lines) {
        this.name = name;
        this.command = command;
        this.log = log;
        this.lines = lines;
    }

    /** Starts the command and waits until a stdout line contains {@code readyText}; returns that line. */
    synchronized String start(String readyText, long timeoutMillis) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("DIRK_TEST_SLOW_FSYNC", "1"); // the storage's test-only seam (Kind.SLOW_FSYNC)
        process = builder.start();
        stopped = false;
        LinkedBlockingQueue<String> ready = new LinkedBlockingQueue<>();
        Process started = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                boolean seen = false;
                while ((line = out.readLine()) != null) {
                    if (!seen && line.contains(readyText)) {
                        seen = true;
                        ready.add(line);
                    }
                    lines.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
            ready.add("");
        }, name + "-stdout");
        reader.setDaemon(true);
        reader.start();
        String line = ready.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (line == null || line.isEmpty()) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException(name + (line == null ? " did not start within " + timeoutMillis + " ms"
                    : " exited before it was ready") + "; its log:\n" + tail());
        }
        return line;
    }

    synchronized void send(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL, as in a crash. */
    synchronized void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
        stopped = false;
    }

    /** SIGSTOP: the process freezes, its sockets stay open. */
    synchronized void pause() throws IOException {
        signal("STOP");
        stopped = true;
    }

    /** SIGCONT after {@link #pause()}. */
    synchronized void resume() throws IOException {
        signal("CONT");
        stopped = false;
    }

    private void signal(String signal) throws IOException {
        // The shell's kill builtin: Java cannot send SIGSTOP, and /bin/kill is not in every image.
        Namespaces.run("sh", "-c", "kill -" + signal + " " + process.pid());
    }

    synchronized int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    synchronized boolean paused() {
        return stopped;
    }

    synchronized boolean waitFor(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    String tail() throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        String text = Files.readString(log);
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }

    String name() {
        return name;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
