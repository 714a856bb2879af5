package io.dirkdb.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A `dirk server` in its own JVM, as in production: killed, stopped and restarted by tests. */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+) ");

    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code dirk server --port 0 <args>} and waits until it accepts connections. */
    public static ServerProcess start(Path logDirectory, String... args) throws Exception {
        return start(logDirectory, 0, args);
    }

    /** Starts {@code dirk server --port <port> <args>} (0: any free port) and waits until it accepts connections. */
    public static ServerProcess start(Path logDirectory, int listenPort, String... args) throws Exception {
        return start(logDirectory, "512m", listenPort, args);
    }

    /** As {@link #start(Path, int, String...)} in a JVM whose maximum heap is {@code maxHeap} (its -Xmx). */
    public static ServerProcess start(Path logDirectory, String maxHeap, int listenPort, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk", "server",
                "--host", "127.0.0.1", "--port", Integer.toString(listenPort)));
        command.addAll(List.of(args));
        Files.createDirectories(logDirectory);
        Path log = Files.createTempFile(logDirectory, "server-", ".log");
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8));
                String line;
                while ((line = out.readLine()) != null) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        int found = Integer.parseInt(m.group(1));
                        Thread drain = new Thread(() -> {
                            try {
                                out.transferTo(java.io.Writer.nullWriter());
                            } catch (IOException e) {
                                // the process is gone
                            }
                        });
                        drain.setDaemon(true);
                        drain.start();
                        return found;
                    }
                }
                return -1;
            } catch (IOException e) {
                return -1;
            }
        });
        int found;
        try {
            found = port.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start; its log: " + Files.readString(log), e);
        }
        if (found < 0) {
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the server exited before listening; its log: " + Files.readString(log));
        }
        return new ServerProcess(process, found, log);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    public int port() {
        return port;
    }

    /** SIGTERM, then the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("the server did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGKILL: the process dies at once, as in a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** SIGSTOP: the process freezes, its sockets stay open (the shell's kill: Java cannot send SIGSTOP). */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + process.pid()).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
