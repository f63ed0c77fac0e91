package io.pipechat.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Where a message goes: {@code {"user":"bob"}} or {@code {"group":"g1"}}. The JSON form has no type
 * tag; the field name tells the two apart.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.DEDUCTION)
@JsonSubTypes({@JsonSubTypes.Type(Address.User.class), @JsonSubTypes.Type(Address.Group.class)})
public sealed interface Address {

    /** The user or group id. */
    String id();

    static Address user(String user) {
        return new User(user);
    }

    static Address group(String group) {
        return new Group(group);
    }

    record User(String user) implements Address {
        @Override
        public String id() {
            return user;
        }
    }

    record Group(String group) implements Address {
        @Override
        public String id() {
            return group;
        }
    }
}
