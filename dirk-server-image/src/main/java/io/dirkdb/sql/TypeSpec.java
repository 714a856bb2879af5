package io.dirkdb.sql;

import java.util.List;
import java.util.stream.Collectors;

/** A column type ("domain") as written in {@code manamboara tabilao} or {@code manamboara efitra}. */
public sealed interface TypeSpec {

    /** {@code ISA(min, max)}: a number; a null bound means no bound. Bounds are Long or Double. */
    record NumberType(Number min, Number max) implements TypeSpec {
        @Override
        public String describe() {
            return "ISA(" + min + "," + max + ")";
        }
    }

    /** {@code LAHATSORATRA(minLen, maxLen)}: a string whose length lies within the bounds. */
    record TextType(Long minLength, Long maxLength) implements TypeSpec {
        @Override
        public String describe() {
            return "LAHATSORATRA(" + minLength + "," + maxLength + ")";
        }
    }

    /** {@code DATY}: a date. */
    record DateType() implements TypeSpec {
        @Override
        public String describe() {
            return "DATY";
        }
    }

    /** {@code TANISA(v1, ...)}: one of the listed values (strings or numbers). */
    record EnumType(List<Object> values) implements TypeSpec {
        public EnumType {
            values = List.copyOf(values);
        }

        @Override
        public String describe() {
            return values.stream()
                    .map(v -> v instanceof String s ? "'" + s + "'" : String.valueOf(v))
                    .collect(Collectors.joining(",", "TANISA(", ")"));
        }
    }

    /** A type named by {@code manamboara efitra}. */
    record DomainType(String name) implements TypeSpec {
        @Override
        public String describe() {
            return name;
        }
    }

    /** {@code t1:t2}: a value of either type. */
    record UnionType(List<TypeSpec> members) implements TypeSpec {
        public UnionType {
            members = List.copyOf(members);
        }

        @Override
        public String describe() {
            return members.stream().map(TypeSpec::describe).collect(Collectors.joining(":"));
        }
    }

    /** The type as the user would write it, for messages. */
    String describe();
}
