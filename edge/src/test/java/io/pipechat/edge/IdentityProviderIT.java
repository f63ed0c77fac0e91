package io.pipechat.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.pipechat.embedded.EmbeddedKafka;
import io.pipechat.embedded.KafkaExtension;
import io.pipechat.embedded.testing.ChatClient;
import io.pipechat.protocol.Topics;
import io.pipechat.protocol.auth.Hs256Tokens;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A production edge (no development mode) that trusts an identity provider's JWKS only. */
@ExtendWith(KafkaExtension.class)
class IdentityProviderIT {

    @Test
    void upgradesWithTheProvidersTokensAndRefusesForgedOnes(EmbeddedKafka kafka) {
        Topics topics = KafkaExtension.uniqueTopics();
        kafka.createTopics(topics, 1, 1);
        Map<String, String> settings = TestEdges.settings(kafka, topics);
        settings.put("edge.dev-mode", "false");
        try (TestIdentityProvider provider = new TestIdentityProvider()) {
            settings.put("edge.token.jwks-url", provider.jwksUrl());
            settings.put("edge.token.issuer", TestIdentityProvider.ISSUER);
            settings.put("edge.token.audience", TestIdentityProvider.AUDIENCE);
            try (Edge edge = Edge.start(Edge.config(settings))) {
                String base = "http://127.0.0.1:" + edge.port();
                assertThat(ChatClient.refusedStatus(base, "Bearer " + provider.rs256("eve"))).isEqualTo(101);
                assertThat(ChatClient.refusedStatus(base, "Bearer " + provider.es256("eve"))).isEqualTo(101);
                assertThat(ChatClient.refusedStatus(base, "Bearer " + provider.forged("eve"))).isEqualTo(401);
                assertThat(ChatClient.refusedStatus(base, "Bearer " + provider.rs256("eve", TestIdentityProvider.ISSUER, "other")))
                        .isEqualTo(401);
                assertThat(ChatClient.refusedStatus(base, "Bearer "
                        + new Hs256Tokens(Hs256Tokens.DEVELOPMENT_SECRET).issue("eve", Duration.ofHours(1)))).isEqualTo(401);
                assertThat(TestEdges.call(base, null, "POST", "/v1/dev/token", "{\"user\":\"eve\"}").statusCode())
                        .as("no development tokens in production").isEqualTo(404);
            }
        }
    }
}
