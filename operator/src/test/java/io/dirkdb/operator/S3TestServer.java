package io.dirkdb.operator;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/** An S3 API on 127.0.0.1 for the backup tests: S3Proxy over files in a directory of the test, one bucket. */
final class S3TestServer implements AutoCloseable {

  static final String ACCESS_KEY = "operator-test-access";
  static final String SECRET_KEY = "operator-test-secret";

  private final S3Proxy proxy;
  private final BlobStoreContext store;

  private S3TestServer(S3Proxy proxy, BlobStoreContext store) {
    this.proxy = proxy;
    this.store = store;
  }

  static S3TestServer start(Path directory, String bucket) throws Exception {
    Properties overrides = new Properties();
    overrides.setProperty("jclouds.filesystem.basedir", directory.toString());
    BlobStoreContext store = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused")
        .overrides(overrides).build(BlobStoreContext.class);
    S3Proxy proxy = S3Proxy.builder().blobStore(store.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    proxy.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        store.close();
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(20); // S3Proxy has no start callback
    }
    store.getBlobStore().createContainerInLocation(null, bucket);
    return new S3TestServer(proxy, store);
  }

  String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    store.close();
  }
}
