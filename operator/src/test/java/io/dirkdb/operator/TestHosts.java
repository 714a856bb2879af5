package io.dirkdb.operator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The test JVM's name resolution: the surefire fork resolves host names through the hosts file named by
 * {@code jdk.net.hosts.file} (set in the pom, read again at every lookup, no cache), which this class
 * writes: the machine's {@code /etc/hosts}, plus each live member's stable name
 * ({@code <pod>.<cluster>-members.<ns>.svc}) mapped to its loopback address, as a cluster's DNS would.
 * The operator's code resolves names the ordinary way; only the tests' world is mapped. Member processes
 * get the same file. Written when the JUnit session opens, before any test resolves a name.
 */
public final class TestHosts implements LauncherSessionListener {

  private static final Map<String, String> MAPPED = new TreeMap<>();

  @Override
  public void launcherSessionOpened(LauncherSession session) {
    write();
  }

  /** The hosts file of this JVM, or null when the build did not set one. */
  static Path file() {
    String file = System.getProperty("jdk.net.hosts.file");
    return file == null || file.isBlank() ? null : Path.of(file);
  }

  /** The JVM options a member process needs to resolve the same names. */
  static java.util.List<String> jvmOptions() {
    Path file = file();
    return file == null ? java.util.List.of() : java.util.List.of("-Djdk.net.hosts.file=" + file,
        "-Dsun.net.inetaddr.ttl=0", "-Dsun.net.inetaddr.negative.ttl=0");
  }

  /** Maps {@code name} to {@code address} from now on, for this JVM and every member process. */
  static synchronized void map(String name, String address) {
    MAPPED.put(name, address);
    write();
  }

  private static synchronized void write() {
    Path file = file();
    if (file == null) {
      return;
    }
    StringBuilder hosts = new StringBuilder();
    try {
      Path system = Path.of("/etc/hosts");
      hosts.append(Files.isReadable(system) ? Files.readString(system) : "127.0.0.1 localhost\n");
      if (hosts.length() > 0 && hosts.charAt(hosts.length() - 1) != '\n') {
        hosts.append('\n');
      }
      MAPPED.forEach((name, address) -> hosts.append(address).append(' ').append(name).append('\n'));
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path next = file.resolveSibling(file.getFileName() + ".next");
      Files.writeString(next, hosts);
      Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE); // a lookup never reads half a file
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
