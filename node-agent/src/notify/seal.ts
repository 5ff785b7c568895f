/**
 * A notification encrypted to one device's push subscription (RFC 8291, aes128gcm), on this PC: the
 * relay and the push service carry ciphertext they cannot open. Every message is padded to the size
 * every push service accepts (4096 bytes), so its length says nothing of the text either.
 */
import { encryptNotification } from "@block65/webcrypto-web-push";
import { NotificationBody, type PushSubscription } from "@ora/protocol";

export async function sealNotification(subscription: PushSubscription, body: NotificationBody): Promise<Uint8Array> {
  const text = JSON.stringify(NotificationBody.parse(body));
  return encryptNotification({ endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys }, new TextEncoder().encode(text));
}
