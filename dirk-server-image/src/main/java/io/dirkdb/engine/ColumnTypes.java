package io.dirkdb.engine;

import io.dirkdb.DirkException;
import io.dirkdb.sql.TypeSpec;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks values against column types and resolves domain names into the types they stand for. */
final class ColumnTypes {
    private static final Object REJECTED = new Object();

    private ColumnTypes() {}

    /**
     * Replaces every domain name by its definition, so a table keeps working (and its snapshot
     * stays self-contained) even if the domain is dropped later.
     */
    static TypeSpec resolve(TypeSpec type, Map<String, TypeSpec> domains, String database) {
        if (type instanceof TypeSpec.DomainType domain) {
            TypeSpec definition = domains.get(domain.name());
            if (definition == null) {
                throw new DirkException(Messages.domainMissing(domain.name(), database));
            }
            return definition;
        }
        if (type instanceof TypeSpec.UnionType union) {
            List<TypeSpec> members = new ArrayList<>();
            for (TypeSpec member : union.members()) {
                TypeSpec resolved = resolve(member, domains, database);
                if (resolved instanceof TypeSpec.UnionType nested) {
                    members.addAll(nested.members());
                } else {
                    members.add(resolved);
                }
            }
            return new TypeSpec.UnionType(members);
        }
        return type;
    }

    /**
     * The value to store for {@code value} in a column of {@code type}: a date string becomes a
     * date; a value the type does not allow is an error naming the column.
     */
    static Object admit(TypeSpec type, Object value, String column) {
        if (value == null) {
            return null;
        }
        Object admitted = tryAdmit(type, value);
        if (admitted == REJECTED) {
            throw new DirkException(Messages.valueNotAllowed(Values.literal(value), type.describe(), column));
        }
        return admitted;
    }

    private static Object tryAdmit(TypeSpec type, Object value) {
        if (type instanceof TypeSpec.NumberType number) {
            if (!(value instanceof Number)) {
                return REJECTED;
            }
            if (number.min() != null && Values.compare(value, number.min()) < 0) {
                return REJECTED;
            }
            if (number.max() != null && Values.compare(value, number.max()) > 0) {
                return REJECTED;
            }
            return value;
        }
        if (type instanceof TypeSpec.TextType text) {
            if (!(value instanceof String s)) {
                return REJECTED;
            }
            long length = s.codePointCount(0, s.length());
            if (text.minLength() != null && length < text.minLength()) {
                return REJECTED;
            }
            if (text.maxLength() != null && length > text.maxLength()) {
                return REJECTED;
            }
            return value;
        }
        if (type instanceof TypeSpec.DateType) {
            if (value instanceof LocalDate) {
                return value;
            }
            if (value instanceof String s) {
                LocalDate date = Values.tryParseDate(s);
                return date == null ? REJECTED : date;
            }
            return REJECTED;
        }
        if (type instanceof TypeSpec.EnumType enumeration) {
            for (Object allowed : enumeration.values()) {
                if (sameKind(allowed, value) && Values.equal(allowed, value)) {
                    return value;
                }
            }
            return REJECTED;
        }
        if (type instanceof TypeSpec.UnionType union) {
            for (TypeSpec member : union.members()) {
                Object admitted = tryAdmit(member, value);
                if (admitted != REJECTED) {
                    return admitted;
                }
            }
            return REJECTED;
        }
        throw new IllegalStateException("unresolved type " + type.describe());
    }

    private static boolean sameKind(Object a, Object b) {
        return (a instanceof Number && b instanceof Number) || (a instanceof String && b instanceof String);
    }
}
