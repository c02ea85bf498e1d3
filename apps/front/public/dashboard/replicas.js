// The replica view: one tile per replica heard from in the last 10 s (LoadStats.replicas), its share of
// the answers and its last latency; a silent one is marked gone, then leaves. Changes are announced.

export class ReplicaView {
  constructor(list, announcer) {
    this.list = list;
    this.announcer = announcer;
    /** @type {Map<string, { tile: HTMLLIElement, state: string }>} */
    this.tileByInstance = new Map();
  }

  render(replicas) {
    const news = [];
    const seen = new Set();
    for (const replica of replicas) {
      seen.add(replica.instance);
      let shown = this.tileByInstance.get(replica.instance);
      if (!shown) {
        shown = { tile: this.createTile(replica.instance), state: '' };
        this.tileByInstance.set(replica.instance, shown);
        news.push(`${replica.instance} appeared`);
      } else if (replica.state === 'gone' && shown.state !== 'gone') {
        news.push(`${replica.instance} gone: no answer for ${(replica.silentMs / 1000).toFixed(1)} s`);
      } else if (replica.state === 'live' && shown.state === 'gone') {
        news.push(`${replica.instance} is back`);
      }
      shown.state = replica.state;
      this.fill(shown.tile, replica);
    }
    for (const [instance, shown] of this.tileByInstance) {
      if (seen.has(instance)) continue;
      shown.tile.remove();
      this.tileByInstance.delete(instance);
      news.push(`${instance} left the view`);
    }
    // Keep the tiles in the order LoadStats gives (by name).
    this.list.replaceChildren(...replicas.map((replica) => this.tileByInstance.get(replica.instance).tile));
    if (news.length > 0) this.announcer.textContent = news.join('; ');
    this.list.dataset.empty = String(replicas.length === 0);
  }

  createTile(instance) {
    const tile = document.createElement('li');
    tile.className = 'tile';
    tile.dataset.instance = instance;
    tile.append(
      Object.assign(document.createElement('strong'), { className: 'name', textContent: instance }),
      Object.assign(document.createElement('span'), { className: 'state' }),
      Object.assign(document.createElement('span'), { className: 'share' }),
      Object.assign(document.createElement('span'), { className: 'latency' }),
    );
    return tile;
  }

  fill(tile, replica) {
    tile.dataset.state = replica.state;
    tile.querySelector('.state').textContent = replica.state;
    tile.querySelector('.share').textContent = `${Math.round(replica.share * 100)} % of answers (10 s)`;
    tile.querySelector('.latency').textContent = `last ${Math.round(replica.lastMs)} ms`;
    tile.setAttribute(
      'aria-label',
      `${replica.instance}: ${replica.state}, ${Math.round(replica.share * 100)} % of answers, last ${Math.round(replica.lastMs)} ms`,
    );
  }
}
