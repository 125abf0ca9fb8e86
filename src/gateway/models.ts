// /v1/models for a key with an allow-list: the same body (OpenAI's list and Anthropic's page
// fields) with only the models the key may use.
interface ModelsPage {
  data: { id: string }[];
  first_id?: string | null;
  last_id?: string | null;
  [field: string]: unknown;
}

export function filterModels(body: string, allows: (model: string) => boolean): string {
  const page = JSON.parse(body) as ModelsPage;
  const data = page.data.filter((m) => allows(m.id));
  return JSON.stringify({ ...page, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}
