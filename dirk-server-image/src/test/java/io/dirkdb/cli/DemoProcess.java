package io.dirkdb.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** `dirk demo --no-shell` in its own JVM, on any free ports: started, talked to, stopped by a signal. */
final class DemoProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("^dirk demo ready: client port (\\d+)$");

    private final Process process;
    private final int clientPort;
    private final List<String> output;
    private final Path log;

    private DemoProcess(Process process, int clientPort, List<String> output, Path log) {
        this.process = process;
        this.clientPort = clientPort;
        this.output = output;
        this.log = log;
    }

    static DemoProcess start(Path dataDirectory, Path logDirectory) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "io.dirkdb.cli.Dirk", "demo", "--no-shell",
                "--base-port", "0", "--http-base-port", "0", "--heartbeat-interval-ms", "100",
                "--data-dir", dataDirectory.toString()));
        Files.createDirectories(logDirectory);
        Path log = Files.createTempFile(logDirectory, "demo-", ".log");
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        List<String> output = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    output.add(line);
                    Matcher ready = READY.matcher(line);
                    if (ready.matches()) {
                        port.complete(Integer.parseInt(ready.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
            port.complete(-1);
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
        int found;
        try {
            found = port.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("dirk demo did not get ready; its log: " + Files.readString(log), e);
        }
        if (found < 0) {
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("dirk demo exited before it was ready; output " + output + "; log: "
                    + Files.readString(log));
        }
        return new DemoProcess(process, found, output, log);
    }

    int clientPort() {
        return clientPort;
    }

    /** The demo's own process id. */
    long pid() {
        return process.pid();
    }

    /** The process id the demo printed for a piece ("m1", "proxy", "m2", "cache") when it started. */
    long pidOf(String piece) {
        return Long.parseLong(pieceLine(piece).replaceAll("^.*\\bpid (\\d+).*$", "$1"));
    }

    /** The port the demo printed for a piece when it started. */
    int portOf(String piece) {
        return Integer.parseInt(pieceLine(piece).replaceAll("^.*?127\\.0\\.0\\.1:(\\d+).*$", "$1"));
    }

    private String pieceLine(String piece) {
        return output.stream().filter(line -> line.strip().startsWith(piece + " ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("dirk demo printed no line for " + piece + ": " + output));
    }

    /** Everything printed on standard output so far. */
    List<String> output() {
        return output;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM, then the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("dirk demo did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }
}
