package io.dirkdb.operator.backup;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code dirk_backup_last_success_timestamp_seconds{namespace,cluster}} on the operator's {@code /q/metrics}: when
 * the newest base backup the operator saw complete (a DirkBackup or a scheduled one) finished, so an alert can
 * fire on {@code time() - dirk_backup_last_success_timestamp_seconds > 86400}.
 */
@ApplicationScoped
public class BackupMetrics {

  public static final String LAST_SUCCESS = "dirk.backup.last.success.timestamp";

  @Inject
  MeterRegistry registry;

  private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

  /** Records a completed backup of the cluster; an older one than already recorded changes nothing. */
  public void completed(String namespace, String cluster, Instant at) {
    AtomicLong seconds = lastSuccess.computeIfAbsent(namespace + "/" + cluster, key -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder(LAST_SUCCESS, holder, AtomicLong::doubleValue)
          .description("When the last successful base backup of the cluster completed (Unix time)")
          .baseUnit("seconds")
          .tag("namespace", namespace).tag("cluster", cluster)
          .register(registry);
      return holder;
    });
    seconds.accumulateAndGet(at.getEpochSecond(), Math::max);
  }
}
