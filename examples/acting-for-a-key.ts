// The engine checks a key's grants when you act for one, exactly as the server does.
import { isMemspaceError, loadConfig, openMemspace, type Principal } from 'memspace';

const ms = await openMemspace(loadConfig({ dataDir: './memspace-data' }));
try {
  if ((await ms.spaces.list({ prefix: 'acme.support' })).items.length === 0) await ms.spaces.create({ name: 'acme.support' });
  // Grants of a key that may write in every space under "acme." and nowhere else.
  const bot: Principal = { keyId: 'key_support_bot', name: 'support bot', grants: [{ prefix: 'acme.', role: 'write' }], defaultSpace: null };
  const asBot = { principal: bot, requestId: 'req-1' };

  await ms.memories.list('acme.support', {}, asBot);
  console.log('listing acme.support: allowed');
  for (const attempt of [() => ms.memories.list('default', {}, asBot), () => ms.spaces.delete('acme.support', asBot)]) {
    try {
      await attempt();
    } catch (error) {
      if (isMemspaceError(error)) console.log(error.code, error.message);
    }
  }
  // The refusal in acme.support is in its audit trail, with the key, the request and a count.
  const denied = (await ms.spaces.audit('acme.support', { action: 'request.denied' })).items.at(-1);
  console.log(denied?.actor, denied?.requestId, denied?.details?.['code'], denied?.details?.['count']);
} finally {
  await ms.close();
}
