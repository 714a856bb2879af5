package io.dirkdb.operator;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An S3 API on 127.0.0.1 for the backup tests: S3Proxy over files in a directory of the test, one bucket. It runs
 * in a JVM of its own: its jclouds needs Guice 7, while the Quarkus test runtime puts Guice 5 (Maven's) first on
 * the test's class path.
 */
final class S3TestServer implements AutoCloseable {

  static final String ACCESS_KEY = "operator-test-access";
  static final String SECRET_KEY = "operator-test-secret";

  private final Process process;
  private final int port;

  private S3TestServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static S3TestServer start(Path directory, String bucket) throws Exception {
    Files.createDirectories(directory.resolve("objects").resolve(bucket)); // a directory is a bucket to jclouds
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path properties = Files.writeString(directory.resolve("s3proxy.conf"), String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem",
        "jclouds.identity=unused",
        "jclouds.credential=unused",
        "jclouds.filesystem.basedir=" + directory.resolve("objects")) + "\n");
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        // S3Proxy bridges java.util.logging into SLF4J: with SLF4J's JUL provider (the data plane's) or the JBoss one
        // on the path, its log lines would loop; without them SLF4J drops its lines (the test keeps its own log).
        .filter(entry -> !entry.contains("guice-5.") && !entry.contains("guice-4.") && !entry.contains("slf4j-jdk14")
            && !entry.contains("slf4j-jboss"))
        .collect(Collectors.joining(File.pathSeparator));
    // No java.util.logging configuration: run from the module's directory, S3Proxy's JUL-to-SLF4J bridge otherwise
    // recursed until the stack overflowed.
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx192m", "-XX:+UseSerialGC", "-Djava.util.logging.config.file=/dev/null", "-cp", classPath,
        "org.gaul.s3proxy.Main", "--properties", properties.toString())
        .directory(directory.toFile()).redirectErrorStream(true).redirectOutput(directory.resolve("s3proxy.log").toFile()).start();
    JobController.killWithTestJvm(process);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!listening(port)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("S3Proxy did not start on port " + port + "; its log: "
            + Files.readString(directory.resolve("s3proxy.log")));
      }
      process.waitFor(50, TimeUnit.MILLISECONDS); // poll: S3Proxy says nothing when it listens
    }
    return new S3TestServer(process, port);
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
