export async function subscriptionSection(_opts: { quick: boolean }): Promise<void> {}
