package io.dirkdb.operator.dependent;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A storage size in the canonical form the API server stores ({@code 1024Mi} is kept as {@code 1Gi},
 * {@code 1.5Gi} as {@code 1536Mi}, {@code 2000M} as {@code 2G}): a desired StatefulSet that says it the
 * same way matches the stored one, instead of being applied again on every pass.
 */
public final class StorageQuantities {

  private static final Pattern QUANTITY = Pattern.compile("^([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$");
  private static final List<String> BINARY = List.of("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei");
  private static final List<String> DECIMAL = List.of("", "k", "M", "G", "T", "P", "E");

  private StorageQuantities() {}

  /** The canonical form of {@code size}; a size this class does not read is returned as it is. */
  public static String canonical(String size) {
    Matcher m = size == null ? null : QUANTITY.matcher(size);
    if (m == null || !m.matches()) {
      return size;
    }
    String suffix = m.group(2) == null ? "" : m.group(2);
    boolean binary = suffix.endsWith("i");
    List<String> suffixes = binary ? BINARY : DECIMAL;
    BigInteger base = BigInteger.valueOf(binary ? 1024 : 1000);
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(new BigDecimal(base.pow(suffixes.indexOf(suffix))));
    BigInteger whole;
    try {
      whole = bytes.toBigIntegerExact();
    } catch (ArithmeticException e) {
      return size; // a fraction of a byte: left to the API server
    }
    int power = 0;
    while (power + 1 < suffixes.size() && whole.signum() != 0 && whole.mod(base).signum() == 0) {
      whole = whole.divide(base);
      power++;
    }
    return whole + suffixes.get(power);
  }
}
